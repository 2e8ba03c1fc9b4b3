/** `codec-server`: the Temporal codec server over sagent's encryption codec, for the Web UI and the `temporal` CLI. */
import type { Command } from 'commander';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { loadKeyring } from '../../codec/keys';
import { readFileSync } from 'node:fs';
import { DEFAULT_CODEC_PORT, startCodecServer, uiOrigins, type CodecPerson } from '../../codec/server';
import { DEFAULT_UI_URL } from '../../shared/constants';
import { CliError, EXIT } from '../errors';
import type { Session } from '../session';

export function registerCodecCommands(program: Command, session: Session): void {
  program
    .command('codec-server')
    .description("decode and encode payloads for the Temporal Web UI and CLI with this machine's codec keys")
    .option('--port <port>', 'where to listen on 127.0.0.1', String(DEFAULT_CODEC_PORT))
    .option('--origin <origin...>', 'the Web UI origin allowed to call it (repeatable); default from SAGENT_UI_URL')
    .addHelpText(
      'after',
      `
Examples:
  $ SAGENT_CODEC_KEY_FILE=.sagent/codec-keys.json sagent codec-server --origin http://127.0.0.1:8233
  $ temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888     (no token: the UI serves it to anyone)
  then each person, in their own browser: the UI's Codec Server setting → http://127.0.0.1:8888/token/<their token>
  $ temporal workflow show -w <id> --codec-endpoint http://127.0.0.1:8888 --codec-auth "Bearer <token>"

Keys come from SAGENT_CODEC_KEYS (id:base64key,..., newest last) or SAGENT_CODEC_KEY_FILE. The operator's token is
SAGENT_CODEC_TOKEN, or a new one printed at start; SAGENT_CODEC_PEOPLE_FILE names a JSON file of people, each with
their own token and namespaces: {"alice":{"token":"...","namespaces":["default"]}}. Every request is logged on
stderr as one JSON line (who, namespace, payload digests). Runs until Ctrl-C. Exit codes: 0 stopped, 1 error.`,
    )
    .action(async (options: { port: string; origin?: string[] }) =>
      session.run(undefined, async () => {
        const { env } = session.io;
        const keyring = loadKeyring(env);
        if (!keyring) throw new CliError('no codec key: set SAGENT_CODEC_KEYS (id:base64key, newest last) or SAGENT_CODEC_KEY_FILE');
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be a port number, not "${options.port}"`);
        const origins = options.origin ?? uiOrigins(env.SAGENT_UI_URL ?? DEFAULT_UI_URL);
        const people = env.SAGENT_CODEC_PEOPLE_FILE ? loadCodecPeople(env.SAGENT_CODEC_PEOPLE_FILE) : undefined;
        const server = await startCodecServer({ codec: new EncryptionCodec(keyring), port, origins, token: env.SAGENT_CODEC_TOKEN || undefined, people });
        const say = (text: string) => session.io.stdout.write(`${text}\n`);
        say(`codec server at ${server.url} (keys ${keyring.map((key) => key.id).join(', ')}; new payloads use ${keyring.at(-1)!.id})`);
        if (people) say(`  people: ${people.map((person) => `${person.name}${person.namespaces ? ` (${person.namespaces.join(', ')})` : ''}`).join(', ')}`);
        if (server.token) {
          say(`  your browser's codec endpoint (the UI's Codec Server setting): ${server.uiEndpoint}   (allowed origins: ${origins.join(', ')})`);
          say(`  temporal CLI: --codec-endpoint ${server.url} --codec-auth "Bearer ${server.token}"`);
        }
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
        return EXIT.ok;
      }),
    );
}

/** The people file: `{ "<name>": { "token": "<their token>", "namespaces": ["<ns>", ...] } }` (namespaces optional). */
function loadCodecPeople(file: string): CodecPerson[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`SAGENT_CODEC_PEOPLE_FILE ${file} is not readable JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${file} must be {"<name>":{"token":"...","namespaces":[...]}}`);
  return Object.entries(parsed as Record<string, { token?: unknown; namespaces?: unknown }>).map(([name, entry]) => {
    if (typeof entry?.token !== 'string') throw new CliError(`${file}: ${name} has no "token"`);
    const namespaces = entry.namespaces;
    if (namespaces !== undefined && !(Array.isArray(namespaces) && namespaces.every((ns) => typeof ns === 'string'))) {
      throw new CliError(`${file}: the "namespaces" of ${name} must be a list of namespace names`);
    }
    return { name, token: entry.token, ...(namespaces ? { namespaces: namespaces as string[] } : {}) };
  });
}
