/**
 * A Temporal cluster on this machine, the topology `docker-compose.yml` describes without Docker: a throwaway
 * PostgreSQL (its own data directory and port), the schemas applied by the server's own SQL tool, the server with
 * {@link HISTORY_SHARDS} history shards and sagent's dynamic config, the namespace with sagent's search attributes,
 * and the Web UI when its server builds here. Everything it starts is recorded in `<stateDir>/cluster.json`, so
 * another process can stop it, restart a part of it, or reuse it.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { answersAsTemporal } from '../../src/dev/temporal';
import { registerSearchAttributes } from '../../src/temporal/search-attributes';
import { ClusterSetupError, ensureServerBuild, ensureUiBuild, type ServerBuild } from './build';
import { preparePostgres, type Postgres } from './postgres';
import {
  DATABASES,
  DB_PASSWORD,
  DB_PLUGIN,
  DB_USER,
  NAMESPACE,
  PORT_NAMES,
  RETENTION_DAYS,
  TEMPORAL_UI_VERSION,
  TEMPORAL_VERSION,
  serverEnvironment,
  type ClusterPorts,
} from './settings';

const run = promisify(execFile);

/** Where `npm run cluster` keeps its state. @default .sagent/cluster */
export const DEFAULT_STATE_DIR = path.join('.sagent', 'cluster');

export interface ClusterOptions {
  /** pids, logs, and the PostgreSQL data directory. @default {@link DEFAULT_STATE_DIR} */
  stateDir?: string;
  /** The frontend's gRPC port; the others are free ports chosen once and kept. @default a free port */
  port?: number;
  /** The Web UI's port. @default a free port */
  uiPort?: number;
  /** Build (once, from `github.com/temporalio/ui-server/v2`) and start the Web UI server; `npm run cluster` does unless `--no-ui`. @default false */
  ui?: boolean;
  progress?: (line: string) => void;
}

interface ClusterState {
  version: string;
  ports: ClusterPorts;
  serverPid: number | null;
  uiPid: number | null;
  uiSkipped?: string;
}

export interface Cluster {
  address: string;
  namespace: string;
  ports: ClusterPorts;
  stateDir: string;
  /** The Web UI's address, or null with {@link uiSkipped} saying why. */
  uiUrl: string | null;
  uiSkipped: string | null;
  postgres: Postgres;
  /** The server process's pid. */
  serverPid(): Promise<number | null>;
  /** SIGKILLs the server and starts it again on the same ports and database; resolves once it answers. */
  restartServer(): Promise<void>;
  /** Stops PostgreSQL as a crash would (`immediate`) and starts it again. */
  restartPostgres(): Promise<void>;
  /** Stops the UI, the server and PostgreSQL; `wipe` removes the state directory too. */
  stop(options?: { wipe?: boolean }): Promise<void>;
}

/** Starts the cluster, or reuses the parts of it that already run; resolves once the namespace is usable. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = path.resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  await fs.mkdir(stateDir, { recursive: true });
  const build = await ensureServerBuild(progress);
  const previous = await readState(stateDir);
  const state: ClusterState =
    previous?.version === TEMPORAL_VERSION ? previous : { version: TEMPORAL_VERSION, ports: await choosePorts(options), serverPid: null, uiPid: null };
  if (previous && previous.version !== TEMPORAL_VERSION) {
    throw new ClusterSetupError(`${stateDir} holds a cluster of Temporal ${previous.version}: stop it with \`npm run cluster:stop -- --wipe\` and start again`);
  }
  if (options.port !== undefined && options.port !== state.ports.frontend) {
    throw new ClusterSetupError(
      `the cluster in ${stateDir} listens on ${state.ports.frontend}: stop it first (\`npm run cluster:stop\`) to move it to ${options.port}`,
    );
  }
  const postgres = await preparePostgres(path.join(stateDir, 'postgres', 'data'), state.ports.postgres, progress);
  const address = `127.0.0.1:${state.ports.frontend}`;
  const save = () => fs.writeFile(path.join(stateDir, 'cluster.json'), `${JSON.stringify(state, null, 2)}\n`);

  const startServer = async () => {
    const logFile = path.join(stateDir, 'temporal.log');
    state.serverPid = spawnDetached(build.server, ['--allow-no-auth', 'start'], { ...process.env, ...serverEnvironment(state.ports) }, logFile);
    await save();
    await waitForFrontend(address, state.serverPid, logFile);
  };

  progress(`postgresql: starting on 127.0.0.1:${state.ports.postgres}`);
  await postgres.start();
  await applySchemas(build, state.ports.postgres, progress);
  if (state.serverPid !== null && alive(state.serverPid) && (await answersAsTemporal(address))) {
    progress(`temporal server ${TEMPORAL_VERSION}: already running at ${address} (pid ${state.serverPid})`);
  } else {
    if (await answersAsTemporal(address)) {
      throw new ClusterSetupError(
        `another Temporal server (a dev server?) already answers at ${address}: stop it, or start the cluster on another port with --port`,
      );
    }
    progress(
      `temporal server ${TEMPORAL_VERSION}: starting at ${address} (${serverEnvironment(state.ports).NUM_HISTORY_SHARDS} history shards, dynamic config deploy/dynamicconfig/sagent.yaml)`,
    );
    await startServer();
  }
  await prepareNamespace(address, progress);

  let uiUrl: string | null = null;
  let uiSkipped: string | null = null;
  if (options.ui ?? false) {
    const ui = await ensureUiBuild(progress);
    if (ui.path === null) {
      uiSkipped = `the Web UI server ${TEMPORAL_UI_VERSION} does not build here (${ui.reason})`;
      progress(`temporal ui: skipped: ${uiSkipped}`);
    } else {
      uiUrl = `http://127.0.0.1:${state.ports.ui}`;
      if (state.uiPid === null || !alive(state.uiPid)) {
        state.uiPid = await startUi(ui.path, state.ports, stateDir);
        await save();
      }
      await retry(async () => {
        const response = await fetch(`${uiUrl}/api/v1/namespaces/${NAMESPACE}`);
        if (!response.ok) throw new ClusterSetupError(`the Web UI answered ${response.status} (see ${path.join(stateDir, 'ui.log')})`);
      }, 30_000);
      progress(`temporal ui ${TEMPORAL_UI_VERSION}: ${uiUrl}`);
    }
  }
  await save();

  return {
    address,
    namespace: NAMESPACE,
    ports: state.ports,
    stateDir,
    uiUrl,
    uiSkipped,
    postgres,
    async serverPid() {
      return (await readState(stateDir))?.serverPid ?? null;
    },
    async restartServer() {
      if (state.serverPid !== null) await kill(state.serverPid, 'SIGKILL');
      await startServer();
      await waitForPersistence(address);
    },
    async restartPostgres() {
      await postgres.stop('immediate');
      await postgres.start();
      await waitForPersistence(address);
    },
    async stop(stopOptions = {}) {
      await stopCluster({ stateDir, wipe: stopOptions.wipe });
    },
  };
}

/** Stops whatever the cluster in `stateDir` runs; true when something was running. */
export async function stopCluster(options: { stateDir?: string; wipe?: boolean; progress?: (line: string) => void } = {}): Promise<boolean> {
  const progress = options.progress ?? (() => {});
  const stateDir = path.resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const state = await readState(stateDir);
  let stopped = false;
  for (const [name, pid] of [
    ['temporal ui', state?.uiPid],
    ['temporal server', state?.serverPid],
  ] as const) {
    if (pid && alive(pid)) {
      progress(`${name}: stopping (pid ${pid})`);
      await kill(pid, 'SIGTERM');
      stopped = true;
    }
  }
  if (state) {
    const postgres = await preparePostgres(path.join(stateDir, 'postgres', 'data'), state.ports.postgres, () => {});
    if (await postgres.running()) {
      progress(`postgresql: stopping (port ${state.ports.postgres})`);
      await postgres.stop('fast');
      stopped = true;
    }
    await fs.writeFile(path.join(stateDir, 'cluster.json'), `${JSON.stringify({ ...state, serverPid: null, uiPid: null }, null, 2)}\n`);
  }
  if (options.wipe) {
    await fs.rm(stateDir, { recursive: true, force: true });
    progress(`removed ${stateDir}`);
  }
  return stopped;
}

/** What `cluster.json` in `stateDir` says, or null when there is no cluster there. */
export async function readState(stateDir: string): Promise<ClusterState | null> {
  const text = await fs.readFile(path.join(stateDir, 'cluster.json'), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as ClusterState);
}

async function choosePorts(options: ClusterOptions): Promise<ClusterPorts> {
  const free = await freeLowPorts(PORT_NAMES.length);
  const ports = Object.fromEntries(PORT_NAMES.map((name, i) => [name, free[i]])) as ClusterPorts;
  return { ...ports, frontend: options.port ?? ports.frontend, ui: options.uiPort ?? ports.ui };
}

/**
 * Free loopback ports below 32768: the server stores membership ports in a SMALLINT column, so the ephemeral range
 * (where port 0 lands) fails its heartbeat with "out of range for type smallint".
 */
async function freeLowPorts(count: number): Promise<number[]> {
  const found: number[] = [];
  for (let attempt = 0; found.length < count && attempt < 2_000; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!found.includes(port) && (await canListen(port))) found.push(port);
  }
  if (found.length < count) throw new ClusterSetupError('found no free loopback ports between 20000 and 32000');
  return found;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Creates both databases when missing and applies every schema version not applied yet (idempotent). */
async function applySchemas(build: ServerBuild, port: number, progress: (line: string) => void): Promise<void> {
  const base = ['--plugin', DB_PLUGIN, '--ep', '127.0.0.1', '-p', String(port), '-u', DB_USER, '--pw', DB_PASSWORD];
  const sql = async (db: string, args: string[]) => {
    try {
      return (await run(build.sqlTool, [...base, '--db', db, ...args])).stderr + '';
    } catch (err) {
      const { stderr, stdout } = err as { stderr?: string; stdout?: string };
      throw new ClusterSetupError(`temporal-sql-tool ${args[0]} on ${db} failed: ${(stderr || stdout || String(err)).trim().split('\n').slice(-3).join(' ')}`);
    }
  };
  for (const { name, schema } of DATABASES) {
    await sql(name, ['create']).catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err;
    });
    // setup-schema -v 0.0 records the version table only; update-schema applies every versioned step after it.
    await sql(name, ['setup-schema', '-v', '0.0']).catch((err: Error) => {
      if (!/already exists|schema_version/.test(err.message)) throw err;
    });
    await sql(name, ['update-schema', '-d', path.join(build.schemaDir, schema, 'versioned')]);
  }
  progress(`postgresql: schemas ready (${DATABASES.map((db) => db.name).join(', ')})`);
}

async function prepareNamespace(address: string, progress: (line: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const retention = msToTs(`${RETENTION_DAYS} days`);
    try {
      await connection.workflowService.registerNamespace({ namespace: NAMESPACE, workflowExecutionRetentionPeriod: retention });
      progress(`namespace ${NAMESPACE}: created (retention ${RETENTION_DAYS} days)`);
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
    }
    // A new namespace reaches the frontend's namespace cache within seconds.
    await retry(() => registerSearchAttributes(connection, NAMESPACE), 60_000);
    progress(`namespace ${NAMESPACE}: sagent's search attributes registered`);
  } finally {
    await connection.close();
  }
}

const GRPC_ALREADY_EXISTS = 6;
const GRPC_NOT_FOUND = 5;

/** Resolves once the server reads its database again: a run that does not exist is reported missing, not unavailable. */
async function waitForPersistence(address: string): Promise<void> {
  const connection = await retry(() => Connection.connect({ address }), 60_000);
  try {
    await retry(async () => {
      try {
        await connection.workflowService.describeWorkflowExecution({ namespace: NAMESPACE, execution: { workflowId: `sagent-cluster-probe-${Date.now()}` } });
      } catch (err) {
        if ((err as { code?: number }).code === GRPC_NOT_FOUND) return;
        throw err;
      }
    }, 120_000);
  } finally {
    await connection.close();
  }
}

async function waitForFrontend(address: string, pid: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (!alive(pid)) break;
    if (await answersAsTemporal(address).catch(() => false)) return;
    await sleep(500);
  }
  const log = await fs.readFile(logFile, 'utf8').catch(() => '');
  const tail = log.trim().split('\n').slice(-4).map(logLine).join('\n');
  throw new ClusterSetupError(`the temporal server ${alive(pid) ? 'did not answer within 120 s' : 'exited'} at ${address}; the end of ${logFile}:\n${tail}`);
}

/** A server log line without its stack trace: the level, the message and the error. */
function logLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
    return [entry.level, entry.msg, entry.error].filter(Boolean).join(': ');
  } catch {
    return line.slice(0, 400);
  }
}

async function startUi(binary: string, ports: ClusterPorts, stateDir: string): Promise<number> {
  // The UI server reads `<root>/<config>/<env>.yaml`; it has no flags or environment for the frontend's address.
  const configDir = path.join(stateDir, 'ui-config');
  await fs.mkdir(configDir, { recursive: true });
  const config = [
    `temporalGrpcAddress: 127.0.0.1:${ports.frontend}`,
    'host: 127.0.0.1',
    `port: ${ports.ui}`,
    'enableUi: true',
    `defaultNamespace: ${NAMESPACE}`,
    '',
  ].join('\n');
  await fs.writeFile(path.join(configDir, 'sagent.yaml'), config);
  return spawnDetached(binary, ['--root', stateDir, '--config', 'ui-config', '--env', 'sagent', 'start'], process.env, path.join(stateDir, 'ui.log'));
}

function spawnDetached(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): number {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { env, detached: true, stdio: ['ignore', out, out] });
    child.unref();
    if (child.pid === undefined) throw new ClusterSetupError(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function kill(pid: number, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  // A process that ignores SIGTERM for 20 s gets SIGKILL.
  const deadline = Date.now() + 20_000;
  while (alive(pid)) {
    if (signal !== 'SIGKILL' && Date.now() > deadline) return kill(pid, 'SIGKILL');
    await sleep(100);
  }
}

async function retry<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
