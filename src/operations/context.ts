/**
 * What every client operation works with: the Temporal client, the namespace and task queue, and reads that turn
 * Temporal's "not found" and "no answer" into the client's own errors.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { getStateQuery, type RunState } from '../shared/contracts';
import { QueryUnansweredError, RunEndedError, RunNotFoundError } from './errors';
import { grpcCode, type ClientContext } from './client-context';
import { describeTaskFailure, workflowTaskFailure } from './versions';

export { grpcCode, type ClientContext } from './client-context';

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
      name === 'QueryNotRegisteredError' ? 'the run does not answer getState (not a sagent run?)' : await whyUnanswered(handle, timeoutMs, ctx.taskQueue),
    );
  }
}

/**
 * Why a query went unanswered, as far as the server can tell: a workflow task failing again and again, or one long
 * pending (a worker busy with a flood of messages), says more than "no worker" and what to do about it.
 */
async function whyUnanswered(handle: WorkflowHandle, timeoutMs: number, taskQueue: string): Promise<string> {
  const noWorker = `no worker answered within ${timeoutMs} ms (is \`npm run worker\` running on task queue ${taskQueue}?)`;
  const description = await handle.describe().catch(() => undefined);
  const task = description?.raw.pendingWorkflowTask;
  if (!description || !task) return noWorker;
  const bytes = Number(description.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
  const history = `history ${description.historyLength} events, ${(bytes / 1_048_576).toFixed(1)} MB`;
  if ((task.attempt ?? 1) > 1) {
    return (
      `the run's workflow task keeps failing (attempt ${task.attempt}; ${history}), so it answers nothing: see the worker's log; ` +
      'oversized or flooding messages make the server drop them after a few attempts, then retry'
    );
  }
  const since = task.scheduledTime?.seconds ? Math.round(Date.now() / 1000 - Number(task.scheduledTime.seconds)) : undefined;
  return (
    `the run did not answer within ${timeoutMs} ms: a workflow task has waited${since !== undefined ? ` ${since} s` : ''} (${history}); ` +
    'its worker is busy (many messages at once?) or down: retry in a few seconds, and check the worker on task queue ' +
    taskQueue
  );
}

/** Temporal's "no such workflow" as a {@link RunNotFoundError}; anything else unchanged. */
export function notFoundAs(ctx: ClientContext, workflowId: string, err: unknown): unknown {
  const name = (err as Error | null)?.name;
  if (name === 'NamespaceNotFoundError') return err;
  return name === 'WorkflowNotFoundError' || grpcCode(err) === GRPC_NOT_FOUND ? new RunNotFoundError(workflowId, ctx.namespace) : err;
}
