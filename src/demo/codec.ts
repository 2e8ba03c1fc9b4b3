/**
 * The demo's safe setup: a local codec key (made on first run in .sagent/, mode 0600) for its worker and client, a
 * codec server, and the dev server's Web UI pointed at it, so histories are encrypted and the UI still reads them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_CODEC_PORT, EncryptionCodec, KEY_BYTES, generateToken, loadKeyring, startCodecServer, uiOrigins } from '../codec';
import type { DevServer } from '../testing';

/** What the demo writes to and reads its settings from. */
interface DemoIO {
  stdout: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const STATE_DIR = '.sagent';
/** The dev server's Web UI as the demo starts it. */
const DEMO_UI_URL = 'http://127.0.0.1:8233';

export interface DemoCodec {
  /** For `ensureDevServer({ uiCodecEndpoint })`. */
  uiEndpoint: string;
  /** One line when a dev server that was already running has no codec endpoint: its UI shows ciphertext. */
  checkDevServer(server: DevServer): Promise<void>;
}

/**
 * Configures the codec key (the user's SAGENT_CODEC_KEYS / SAGENT_CODEC_KEY_FILE, or the demo's own key file) in this
 * process's environment, which the worker and the client read, and starts a codec server: detached next to the local
 * dev server (whose UI outlives the demo), in this process when Temporal is external.
 */
export async function setUpDemoCodec(
  io: DemoIO,
  options: { external: boolean; resources: { add(what: string, close: () => Promise<unknown>): void } },
): Promise<DemoCodec> {
  const say = (text: string) => io.stdout.write(`${text}\n`);
  const stateDir = path.resolve(STATE_DIR);
  if (!io.env.SAGENT_CODEC_KEYS && !io.env.SAGENT_CODEC_KEY_FILE) {
    const keyFile = await ensurePrivateFile(
      path.join(stateDir, 'codec-keys.json'),
      () => JSON.stringify({ keys: [{ id: `demo-${new Date().toISOString().slice(0, 10)}`, key: randomBytes(KEY_BYTES).toString('base64') }] }, null, 2) + '\n',
    );
    process.env.SAGENT_CODEC_KEY_FILE = io.env.SAGENT_CODEC_KEY_FILE = path.relative(process.cwd(), keyFile);
  }
  const keyring = loadKeyring(io.env)!;
  const token = io.env.SAGENT_CODEC_TOKEN || (await fs.readFile(await ensurePrivateFile(path.join(stateDir, 'codec-token'), generateToken), 'utf8')).trim();
  const keyEnv = io.env.SAGENT_CODEC_KEY_FILE ? `SAGENT_CODEC_KEY_FILE=${io.env.SAGENT_CODEC_KEY_FILE}` : 'SAGENT_CODEC_KEYS=<your keys>';

  let url: string;
  if (options.external) {
    const server = await startCodecServer({ codec: new EncryptionCodec(keyring), origins: uiOrigins(io.env.SAGENT_UI_URL ?? DEMO_UI_URL), token, port: 0 });
    options.resources.add('the codec server', () => server.close());
    url = server.url;
  } else {
    url = await ensureDetachedCodecServer(io, stateDir, token);
  }
  say(`Codec: payloads encrypted with key ${keyring.at(-1)!.id}; codec server ${url} (token in ${STATE_DIR}/codec-token)`);
  say(`  for the \`npm run sagent\` commands below, in another terminal: export ${keyEnv}`);
  // The UI's cluster-wide settings are served to whoever loads the UI: they name the codec server, never the token.
  say(
    `  to read payloads in the Web UI, in your browser only: the UI's Codec Server setting (top bar) → ${url}/token/<the token in ${STATE_DIR}/codec-token>, "use my browser setting"`,
  );
  const uiEndpoint = url;
  return {
    uiEndpoint,
    async checkDevServer(server) {
      if (server.started || options.external) return;
      // The UI serves its settings, the codec endpoint among them: an older demo put the token there.
      const settings = await fetch(`${server.uiUrl}/api/v1/settings`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.text(),
        () => '',
      );
      if (settings.includes(token)) {
        say('  warning: the running dev server hands the codec token to anyone who loads its UI (an older demo set it); `npm run dev:stop` and rerun the demo');
      }
    },
  };
}

/** The codec server on its usual port: reused when it answers with our token, started detached otherwise. */
async function ensureDetachedCodecServer(io: DemoIO, stateDir: string, token: string): Promise<string> {
  const port = Number(io.env.SAGENT_CODEC_PORT) || DEFAULT_CODEC_PORT;
  const url = `http://127.0.0.1:${port}`;
  if (await answers(url, token)) return url;
  // Another checkout's demo (or anything else) on the port would make the start fail with a bare EADDRINUSE.
  if (await listens(url)) {
    throw new Error(
      `port ${port} is held by a server that does not know this demo's codec token (another checkout's demo codec server?): ` +
        "stop it (its pid is in that checkout's .sagent/codec-server.pid) or set SAGENT_CODEC_PORT",
    );
  }
  const log = openSync(path.join(stateDir, 'codec-server.log'), 'a');
  const child = spawn(
    process.execPath,
    [...process.execArgv, require.resolve('../cli/main'), 'codec-server', '--port', String(port), '--origin', ...uiOrigins(DEMO_UI_URL)],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, ...io.env, SAGENT_CODEC_TOKEN: token } },
  );
  child.unref();
  await fs.writeFile(path.join(stateDir, 'codec-server.pid'), `${child.pid}\n`);
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(200)) {
    if (await answers(url, token)) return url;
    if (child.exitCode !== null) break;
  }
  throw new Error(`the codec server did not start on ${url}: see ${path.join(STATE_DIR, 'codec-server.log')}`);
}

/** True when anything answers HTTP at `url`. */
async function listens(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    () => true,
    () => false,
  );
}

async function answers(url: string, token: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/token/${token}/decode`, { method: 'POST', body: '{"payloads":[]}', signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Creates the file with `content()` and mode 0600 unless it exists; returns its path. */
async function ensurePrivateFile(file: string, content: () => string): Promise<string> {
  if (existsSync(file)) return file;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content(), { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return file;
}
