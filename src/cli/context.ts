/**
 * What every command works with: the sagent client over a connection made from the environment, the namespace and
 * task queue, the UI link of a run, and where to print.
 */
import { SagentClient } from '../client';
import { codecDataConverter } from '../codec/data-converter';
import { connectClient, resolveConnection, type ConnectedTemporal } from '../temporal/connection';
import { CLOUD_UI_URL, DEFAULT_TASK_QUEUE, DEFAULT_UI_URL, QUERY_TIMEOUT_MS } from '../shared/constants';
import { Output, type CliIO } from './io';

export interface CliContext {
  io: CliIO;
  out: Output;
  sagent: SagentClient;
  namespace: string;
  address: string;
  taskQueue: string;
  uiLink(workflowId: string): string;
  close(): Promise<void>;
}

export interface ContextOptions {
  /** An already connected client (a test's); the CLI connects from the environment otherwise. */
  temporal?: ConnectedTemporal;
  /** Overrides SAGENT_UI_URL. */
  uiBase?: string;
  taskQueue?: string;
}

/** Connects from the environment the `@temporalio/envconfig` way; fails fast with one line when unreachable. */
export async function openContext(io: CliIO, options: ContextOptions = {}): Promise<CliContext> {
  const temporal = options.temporal ?? (await connectClient({ config: resolveConnection(io.env), dataConverter: codecDataConverter(io.env) }));
  const { config } = temporal;
  const sagent = new SagentClient({
    client: temporal.client,
    namespace: config.namespace,
    taskQueue: options.taskQueue ?? io.env.SAGENT_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    uiUrl: options.uiBase ?? io.env.SAGENT_UI_URL ?? defaultUiBase(config.address),
    queryTimeoutMs: Number(io.env.SAGENT_QUERY_TIMEOUT_MS) > 0 ? Number(io.env.SAGENT_QUERY_TIMEOUT_MS) : QUERY_TIMEOUT_MS,
  });
  return {
    io,
    out: new Output(io),
    sagent,
    namespace: sagent.namespace,
    address: config.address,
    taskQueue: sagent.taskQueue,
    uiLink: (workflowId) => sagent.uiLink(workflowId),
    // A client passed in is its owner's to close.
    close: options.temporal ? async () => {} : () => temporal.close(),
  };
}

/** Temporal Cloud's UI for its endpoints, the dev server's otherwise. */
function defaultUiBase(address: string): string {
  return /\.tmprl\.cloud(:\d+)?$/.test(address) ? CLOUD_UI_URL : DEFAULT_UI_URL;
}
