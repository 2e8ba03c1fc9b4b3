/**
 * What every command works with: a connected Temporal client, the namespace and task queue, the UI link of a run,
 * and queries bounded by a deadline so a run without a worker never hangs the CLI.
 */
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { codecDataConverter } from '../codec/data-converter';
import { connectClient, resolveConnection, type ConnectedTemporal } from '../temporal/connection';
import { DEFAULT_TASK_QUEUE } from '../shared/constants';
import { getStateQuery, type RunState } from '../shared/contracts';
import { grpcCode } from './errors';
import { Output, type CliIO } from './io';

/** The dev server's Web UI; SAGENT_UI_URL overrides it. */
export const DEFAULT_UI_URL = 'http://localhost:8233';
const CLOUD_UI_URL = 'https://cloud.temporal.io';

/** How long a query may take before the CLI treats the run as having no worker. @default 5_000 */
const DEFAULT_QUERY_TIMEOUT_MS = 5_000;

export interface CliContext {
  io: CliIO;
  out: Output;
  client: Client;
  connection: Connection;
  namespace: string;
  address: string;
  taskQueue: string;
  /** The Web UI base, without a trailing slash. */
  uiBase: string;
  queryTimeoutMs: number;
  uiLink(workflowId: string): string;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** An already connected client (the demo's); the CLI connects from the environment otherwise. */
  temporal?: ConnectedTemporal;
  /** Overrides SAGENT_UI_URL (the demo knows where its dev server's UI is). */
  uiBase?: string;
  taskQueue?: string;
}

/** Connects from the environment the `@temporalio/envconfig` way; fails fast with one line when unreachable. */
export async function openContext(io: CliIO, options: ContextOptions = {}): Promise<CliContext> {
  const temporal = options.temporal ?? (await connectClient({ config: resolveConnection(io.env), dataConverter: codecDataConverter(io.env) }));
  const { config } = temporal;
  const uiBase = (options.uiBase ?? io.env.SAGENT_UI_URL ?? defaultUiBase(config.address)).replace(/\/+$/, '');
  const queryTimeoutMs = Number(io.env.SAGENT_QUERY_TIMEOUT_MS) > 0 ? Number(io.env.SAGENT_QUERY_TIMEOUT_MS) : DEFAULT_QUERY_TIMEOUT_MS;
  return {
    io,
    out: new Output(io),
    client: temporal.client,
    connection: temporal.connection,
    namespace: config.namespace,
    address: config.address,
    taskQueue: options.taskQueue ?? io.env.SAGENT_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    uiBase,
    queryTimeoutMs,
    uiLink: (workflowId) => `${uiBase}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
    // A client the demo passed in is the demo's to close.
    close: options.temporal ? async () => {} : () => temporal.close(),
  };
}

/** Temporal Cloud's UI for its endpoints, the dev server's otherwise. */
function defaultUiBase(address: string): string {
  return /\.tmprl\.cloud(:\d+)?$/.test(address) ? CLOUD_UI_URL : DEFAULT_UI_URL;
}

/** Why a query got no answer: no worker polls the run's task queue (or it is too busy), or the run has no such query. */
export class QueryUnansweredError extends Error {
  override name = 'QueryUnansweredError' as const;
}

/**
 * The run's state from its worker. The handle has no run id, so it follows continue-as-new to the latest run. Throws
 * {@link QueryUnansweredError} when no worker answers within the deadline; `WorkflowNotFoundError` passes through.
 */
export async function queryState(ctx: CliContext, handle: WorkflowHandle, timeoutMs = ctx.queryTimeoutMs): Promise<RunState> {
  try {
    return await ctx.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(getStateQuery));
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'WorkflowNotFoundError' || name === 'NamespaceNotFoundError') throw err;
    const code = grpcCode(err);
    if (code === 14 || code === 16 || code === 7) throw err;
    throw new QueryUnansweredError(
      name === 'QueryNotRegisteredError'
        ? 'the run does not answer getState (not a sagent run?)'
        : `no worker answered within ${timeoutMs} ms (is \`npm run worker\` running on task queue ${ctx.taskQueue}?)`,
    );
  }
}
