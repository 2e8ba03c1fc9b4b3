/**
 * The Temporal server and its SQL schema tool, built from their Go module at {@link TEMPORAL_VERSION} and cached
 * outside the repository (with the schema files they ship), so a second start takes seconds.
 */
import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GO_TOOLCHAIN, TEMPORAL_UI_VERSION, TEMPORAL_VERSION } from './settings';

const run = promisify(execFile);

/** Something the cluster needs is not installed, or did not build: the message says what to install or fix. */
export class ClusterSetupError extends Error {
  override name = 'ClusterSetupError' as const;
}

export interface ServerBuild {
  /** The `temporal-server` binary (`go.temporal.io/server/cmd/server`). */
  server: string;
  /** The SQL schema tool (`temporal-sql-tool`). */
  sqlTool: string;
  /** `schema/postgresql/v12` of the server module: `temporal/versioned`, `visibility/versioned`. */
  schemaDir: string;
}

/** Where builds are cached. @default $SAGENT_CLUSTER_CACHE, else ~/.cache/sagent/cluster */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.SAGENT_CLUSTER_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'sagent', 'cluster'));
}

/** The server build at {@link TEMPORAL_VERSION}: the cached one, else built now with the Go toolchain. */
export async function ensureServerBuild(progress: (line: string) => void): Promise<ServerBuild> {
  const dir = path.join(cacheRoot(), `temporal-${TEMPORAL_VERSION}`);
  const build: ServerBuild = {
    server: path.join(dir, 'bin', 'server'),
    sqlTool: path.join(dir, 'bin', 'sql'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
  if ((await isExecutable(build.server)) && (await isExecutable(build.sqlTool)) && (await exists(path.join(build.schemaDir, 'temporal', 'versioned')))) {
    progress(`temporal server ${TEMPORAL_VERSION}: cached in ${dir}`);
    return build;
  }
  const go = await requireGo();
  progress(`temporal server ${TEMPORAL_VERSION}: building from go.temporal.io/server with ${go} (${GO_TOOLCHAIN}); a few minutes the first time`);
  const env = { ...process.env, GOBIN: path.join(dir, 'bin'), GOTOOLCHAIN: process.env.SAGENT_GO_TOOLCHAIN ?? GO_TOOLCHAIN, CGO_ENABLED: '0' };
  const module = `go.temporal.io/server`;
  await goInstall(env, [`${module}/cmd/server@v${TEMPORAL_VERSION}`, `${module}/cmd/tools/sql@v${TEMPORAL_VERSION}`], progress);
  // The schema files ship in the module source, which the build left in the module cache.
  const { stdout } = await run('go', ['env', 'GOMODCACHE'], { env });
  const source = path.join(stdout.trim(), `${module}@v${TEMPORAL_VERSION}`, 'schema', 'postgresql', 'v12');
  if (!(await exists(source)))
    throw new ClusterSetupError(`the server built, but its schema files are not at ${source}: run \`go clean -modcache\` and start again`);
  await fs.rm(build.schemaDir, { recursive: true, force: true });
  await fs.cp(source, build.schemaDir, { recursive: true });
  // Files from the module cache are read-only; the cached copy must stay removable.
  await run('chmod', ['-R', 'u+w', build.schemaDir]);
  progress(`temporal server ${TEMPORAL_VERSION}: built into ${dir}`);
  return build;
}

/**
 * The Web UI server at {@link TEMPORAL_UI_VERSION}, cached or built from `github.com/temporalio/ui-server/v2`; null
 * with the reason when it does not build here (the cluster runs without it).
 */
export async function ensureUiBuild(progress: (line: string) => void): Promise<{ path: string } | { path: null; reason: string }> {
  const dir = path.join(cacheRoot(), `ui-${TEMPORAL_UI_VERSION}`);
  const binary = path.join(dir, 'bin', 'server');
  if (await isExecutable(binary)) return { path: binary };
  const failed = path.join(dir, 'build-failed.txt');
  // A build that failed once fails again: say why without spending minutes on it (delete the file to retry).
  const earlier = await fs.readFile(failed, 'utf8').catch(() => null);
  if (earlier !== null) return { path: null, reason: `${earlier.trim()} (remembered in ${failed})` };
  const go = await requireGo();
  progress(`temporal ui ${TEMPORAL_UI_VERSION}: building from github.com/temporalio/ui-server/v2 with ${go}`);
  const env = { ...process.env, GOBIN: path.join(dir, 'bin'), GOTOOLCHAIN: process.env.SAGENT_GO_TOOLCHAIN ?? GO_TOOLCHAIN, CGO_ENABLED: '0' };
  try {
    await goInstall(env, [`github.com/temporalio/ui-server/v2/cmd/server@v${TEMPORAL_UI_VERSION}`], progress);
    return { path: binary };
  } catch (err) {
    const reason = (err as Error).message.split('\n').slice(0, 3).join(' ');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(failed, `${reason}\n`);
    return { path: null, reason };
  }
}

async function requireGo(): Promise<string> {
  try {
    const { stdout } = await run('go', ['version']);
    return stdout.trim().replace(/^go version /, '');
  } catch {
    throw new ClusterSetupError(
      'Go is not installed: the cluster builds the Temporal server from its Go module. Install Go 1.21 or newer ' +
        '(https://go.dev/dl, or `apt-get install golang`); it fetches the toolchain the module needs by itself',
    );
  }
}

async function goInstall(env: NodeJS.ProcessEnv, packages: string[], progress: (line: string) => void): Promise<void> {
  const child = spawn('go', ['install', ...packages], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let downloads = 0;
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-8_000);
    downloads += (text.match(/go: downloading/g) ?? []).length;
  });
  const timer = setInterval(() => progress(`  still building (${downloads} modules downloaded so far)`), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(timer);
  if (code !== 0) {
    const tail = stderr
      .split('\n')
      .filter((line) => line && !line.startsWith('go: downloading'))
      .slice(-6)
      .join('\n');
    throw new ClusterSetupError(`go install ${packages.join(' ')} failed (exit ${code}):\n${tail}`);
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fsConstants.X_OK);
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
