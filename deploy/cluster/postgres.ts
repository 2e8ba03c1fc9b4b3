/**
 * A throwaway PostgreSQL for the cluster: its own data directory and port, its socket in its data directory, trust
 * authentication on loopback only. Never the machine's own PostgreSQL cluster. As root (CI), it runs as the
 * `postgres` user, since PostgreSQL refuses to run as root.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClusterSetupError } from './build';
import { DB_USER } from './settings';

const run = promisify(execFile);

export interface Postgres {
  dataDir: string;
  port: number;
  logFile: string;
  /** Starts it (a no-op when it runs); resolves once it accepts connections. */
  start(): Promise<void>;
  /** `immediate` stops it the way a crash does (recovery on the next start); `fast` cleanly. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  running(): Promise<boolean>;
}

/** The PostgreSQL at `dataDir` on `port`, created (initdb) when the directory holds none yet. */
export async function preparePostgres(dataDir: string, port: number, progress: (line: string) => void): Promise<Postgres> {
  const bin = await postgresBin();
  const owner = process.getuid?.() === 0 ? 'postgres' : null;
  const as = (command: string, args: string[]) =>
    owner ? run('runuser', ['-u', owner, '--', path.join(bin, command), ...args]) : run(path.join(bin, command), args);
  const logFile = path.join(path.dirname(dataDir), 'postgres.log');
  // The folders above stay readable (the postgres user must reach the data directory); the data directory does not.
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (owner) {
    await run('chown', [owner, dataDir, path.dirname(dataDir)]).catch((err) => {
      throw new ClusterSetupError(`cannot give ${dataDir} to the ${owner} user (${(err as Error).message}): run as root or as a normal user`);
    });
    await as('pg_ctl', ['--version']).catch(() => {
      throw new ClusterSetupError(`the ${owner} user cannot run ${bin}: as root, the cluster runs PostgreSQL as ${owner}; check that the user exists`);
    });
    await run('runuser', ['-u', owner, '--', 'test', '-x', dataDir]).catch(() => {
      throw new ClusterSetupError(
        `the ${owner} user cannot reach ${dataDir}: a folder above it is closed to other users; choose a state directory it can reach (--state-dir)`,
      );
    });
  }
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    progress(`postgresql: creating a throwaway database cluster in ${dataDir}`);
    await as('initdb', ['-D', dataDir, '-U', DB_USER, '--auth=trust', '-E', 'UTF8', '--locale=C']).catch((err) => {
      throw new ClusterSetupError(`initdb failed in ${dataDir}: ${stderrOf(err)}`);
    });
  }
  const postgres: Postgres = {
    dataDir,
    port,
    logFile,
    async running() {
      return as('pg_ctl', ['-D', dataDir, 'status']).then(
        () => true,
        () => false,
      );
    },
    async start() {
      if (await postgres.running()) return;
      // Loopback only; the socket lives in the data directory, not in /var/run/postgresql (the system cluster's).
      const options = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
      await as('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']).catch(async (err) => {
        const log = await fs.readFile(logFile, 'utf8').catch(() => '');
        throw new ClusterSetupError(`postgresql did not start on port ${port}: ${stderrOf(err)}\n${log.trim().split('\n').slice(-5).join('\n')}`);
      });
    },
    async stop(mode = 'fast') {
      if (!(await postgres.running())) return;
      await as('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
  };
  if (owner) await fs.writeFile(logFile, '', { flag: 'a' }).then(() => run('chown', [owner, logFile]));
  return postgres;
}

/** The folder of `initdb` and `pg_ctl`: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
async function postgresBin(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutable(path.join(dir, 'initdb'))) && (await isExecutable(path.join(dir, 'pg_ctl')))) {
      return path.dirname(await fs.realpath(path.join(dir, 'initdb')));
    }
  }
  const versions = await fs.readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const dir = path.join('/usr/lib/postgresql', version, 'bin');
    if (await isExecutable(path.join(dir, 'initdb'))) return dir;
  }
  throw new ClusterSetupError(
    'PostgreSQL is not installed (no initdb/pg_ctl on PATH nor in /usr/lib/postgresql/*/bin): install the server, ' +
      'e.g. `apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql@16` (macOS); the cluster runs its own copy, never the system one',
  );
}

function stderrOf(err: unknown): string {
  const { stderr, message } = err as { stderr?: string; message: string };
  return (stderr || message).trim().split('\n').slice(-3).join(' ');
}

async function isExecutable(file: string): Promise<boolean> {
  return fs.access(file, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
