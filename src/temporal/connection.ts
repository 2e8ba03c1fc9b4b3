/**
 * The production connection, shared by the worker and the CLI: a server named the `@temporalio/envconfig` way
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, a profile in TEMPORAL_CONFIG_FILE), defaulting to the
 * local dev server's address.
 */
import net from 'node:net';
import { Client, Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';
import { codecDataConverter } from '../codec/data-converter';
import { clientInterceptors } from '../observability';
import { CONNECT_TIMEOUT_MS, DEFAULT_NAMESPACE } from '../shared/constants';

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

/** The envconfig profile, TLS files or registered search attributes contradict what sagent needs. */
export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError' as const;
}

// ---------------------------------------------------------------------------------------------------------------
// Connection settings.

/** The address used when nothing names a server: the dev server binds 127.0.0.1 (`localhost` may resolve to ::1). */
export const LOCAL_ADDRESS = '127.0.0.1:7233';
/** The frontend port when an address names none, as the `temporal` CLI assumes. */
export const DEFAULT_PORT = 7233;

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
    throw new TemporalConfigError(`cannot load the Temporal client config (${oneLine(err)}): check TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE and TEMPORAL_TLS_*`);
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

/** What `connectClient` takes: other settings than the environment's, how long to wait, and the payload encoding. */
export interface ConnectOptions {
  /** Settings to use instead of {@link resolveConnection}'s. @default resolveConnection(): the environment and the envconfig profile */
  config?: TemporalConnectionConfig;
  /** How long to wait for the server before giving up. @default CONNECT_TIMEOUT_MS (5 s) */
  connectTimeoutMs?: number;
  /** Payload encoding. @default the encryption codec when SAGENT_CODEC_KEYS or SAGENT_CODEC_KEY_FILE is set */
  dataConverter?: DataConverter;
}

/** Connects the CLI or the worker; an unreachable server fails fast with {@link TemporalUnreachableError}. */
export async function connectClient(opts: ConnectOptions = {}): Promise<ConnectedTemporal> {
  const config = opts.config ?? resolveConnection();
  const connection = await connectOrExplain(config, opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
  return {
    client: new Client({
      connection,
      namespace: config.namespace,
      interceptors: clientInterceptors(),
      dataConverter: opts.dataConverter ?? codecDataConverter(),
    }),
    connection,
    config,
    connectWorkerConnection: () => connectWorkerConnection(config),
    close: () => connection.close(),
  };
}

/** A worker's `NativeConnection` to the configured server. */
export async function connectWorkerConnection(
  config: TemporalConnectionConfig = resolveConnection(),
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
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
export async function openConnection(options: ConnectionOptions): Promise<Connection> {
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
export async function probeReachable(address: string, timeoutMs: number): Promise<void> {
  if (process.env.grpc_proxy || process.env.https_proxy || process.env.http_proxy) return;
  const outcome = await tcpProbe(address, timeoutMs);
  if (outcome !== 'open') throw new TemporalUnreachableError(address, outcome);
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers.

/** 'open', or why a TCP connection to host:port failed ('connection refused', 'timed out after 1000 ms', ...). */
export async function tcpProbe(address: string, timeoutMs: number): Promise<string> {
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

export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
