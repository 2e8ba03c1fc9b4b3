/**
 * What every client operation works with: the Temporal client, the namespace and task queue, and reads that turn
 * Temporal's "not found" and "no answer" into the client's own errors.
 */
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { getStateQuery, type RunState } from '../shared/contracts';
import { QueryUnansweredError, RunEndedError, RunNotFoundError } from './errors';
import { describeTaskFailure, workflowTaskFailure } from './versions';

export interface ClientContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  queryTimeoutMs: number;
}

const GRPC_NOT_FOUND = 5;
/** gRPC codes that mean the server, not the run, is the problem: unavailable, unauthenticated, permission denied. */
const GRPC_INFRASTRUCTURE = new Set([14, 16, 7]);

/** The handle of a run by workflow id: no run id, so it follows continue-as-new to the latest run. */
export function handleOf(ctx: ClientContext, workflowId: string): WorkflowHandle {
  return ctx.client.workflow.getHandle(workflowId);
}

/** Describes a run; an unknown id is a {@link RunNotFoundError}. */
export async function describeRun(ctx: ClientContext, workflowId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await handleOf(ctx, workflowId).describe();
  } catch (err) {
    throw notFoundAs(ctx, workflowId, err);
  }
}

/** Throws {@link RunEndedError} unless the run is live. */
export async function requireRunning(ctx: ClientContext, workflowId: string, message?: string): Promise<void> {
  const description = await describeRun(ctx, workflowId);
  if (description.status.name !== 'RUNNING') throw new RunEndedError(workflowId, message);
}

/**
 * The run's state from its worker. Throws {@link QueryUnansweredError} when no worker answers within the deadline,
 * {@link RunNotFoundError} for an unknown id; connection failures pass through.
 */
export async function queryState(ctx: ClientContext, handle: WorkflowHandle, timeoutMs = ctx.queryTimeoutMs): Promise<RunState> {
  try {
    return await ctx.client.connection.withDeadline(Date.now() + timeoutMs, () => handle.query(getStateQuery));
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'WorkflowNotFoundError') throw new RunNotFoundError(handle.workflowId, ctx.namespace);
    if (name === 'NamespaceNotFoundError') throw err;
    const code = grpcCode(err);
    if (code !== undefined && GRPC_INFRASTRUCTURE.has(code)) throw err;
    // A worker that answers but cannot replay the run is not a missing worker: say what fails, and how to fix it.
    const failure = await workflowTaskFailure(ctx, handle.workflowId).catch(() => null);
    if (failure) throw new QueryUnansweredError(describeTaskFailure(failure), failure);
    throw new QueryUnansweredError(
      name === 'QueryNotRegisteredError'
        ? 'the run does not answer getState (not a sagent run?)'
        : `no worker answered within ${timeoutMs} ms (is \`npm run worker\` running on task queue ${ctx.taskQueue}?)`,
    );
  }
}

/** Temporal's "no such workflow" as a {@link RunNotFoundError}; anything else unchanged. */
export function notFoundAs(ctx: ClientContext, workflowId: string, err: unknown): unknown {
  const name = (err as Error | null)?.name;
  if (name === 'NamespaceNotFoundError') return err;
  return name === 'WorkflowNotFoundError' || grpcCode(err) === GRPC_NOT_FOUND ? new RunNotFoundError(workflowId, ctx.namespace) : err;
}

/** The gRPC status code of an error or of the error it wraps. */
export function grpcCode(err: unknown): number | undefined {
  for (let current = err, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}
