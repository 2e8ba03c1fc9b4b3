/**
 * One picture of a run, whatever state it is in: the live state from a query while it runs, its outcome once it
 * completed, and the search attributes it last published when no worker answers.
 */
import type { WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { CompactedBooks, EffectRecord, PendingApproval, RunOutcome, RunState, RunStatus, RunUsage, TimelineEntry } from '../shared/contracts';
import { SHORT_QUERY_TIMEOUT_MS } from '../shared/constants';
import { AgentCostUsd, AgentName, AgentStatus, AgentSteps } from '../shared/search-attributes';
import { describeRun, handleOf, queryState, type ClientContext } from './context';
import { oneLine, type QueryUnansweredError } from './errors';
import { runVersionOf, type RunVersion, type WorkflowTaskFailure } from './versions';

/** Where a view's figures come from. */
export type ViewSource = 'query' | 'result' | 'search_attributes';

/** A run as `sagent status` shows it: read from its worker, its result, or its search attributes when no worker answers. */
export interface RunView {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, CANCELLED, FAILED, TERMINATED, TIMED_OUT. */
  execution: string;
  closed: boolean;
  agent: string | null;
  status: RunStatus;
  statusDetail: string | null;
  steps: number | null;
  /** Input tokens counted as the budget counts them: uncached, cache reads and cache writes together. */
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null; cachedInputTokens?: number };
  pendingApprovals: PendingApproval[];
  effects: EffectRecord[];
  timeline: TimelineEntry[];
  /** What a long run's books no longer list (older timeline entries, settled effects, decisions); null when nothing. */
  compacted: CompactedBooks | null;
  state: RunState | null;
  outcome: RunOutcome | null;
  /** Why a failed run failed. */
  failure: string | null;
  source: ViewSource;
  /** Why the view fell back to search attributes. */
  fallbackReason: string | null;
  /** The Worker Deployment Version the run is on; null on unversioned workers. */
  version: RunVersion | null;
  /** Set while a worker answers but cannot advance the run: its workflow task keeps failing. */
  workflowTaskFailure: WorkflowTaskFailure | null;
  /** Set while the run's model call waits for its turn: scheduled on its queue, not started (a rate limit holds it). */
  waitingForTurn: TurnWait | null;
}

/** A model call held on its task queue: the rate limit (requests or tokens a minute) or no free model worker. */
export interface TurnWait {
  /** Since when the call waits to start (its scheduling, or its retry's due time). */
  since: string;
  attempt: number;
}

/** How a status detail of a run waiting for its turn starts. */
export const WAITING_FOR_TURN = 'waiting for its turn';
/** A call not started this long after it was due waits for its turn; a free worker takes one in milliseconds. */
const TURN_WAIT_AFTER_MS = 1000;

/** How `SagentClient.read` reads a run. */
export interface ReadOptions {
  /** Also ask a closed run's worker for its state (the full timeline); skipped quietly when none answers. @default false */
  closedState?: boolean;
}

/** Reads a run by workflow id; the latest run of a continue-as-new chain. */
export async function readRun(ctx: ClientContext, workflowId: string, options: ReadOptions = {}): Promise<RunView> {
  const handle = handleOf(ctx, workflowId);
  let description = await describeRun(ctx, workflowId);
  // A run that just continued as new: describe again to reach its successor.
  if (description.status.name === 'CONTINUED_AS_NEW') description = await describeRun(ctx, workflowId);
  const execution = description.status.name;
  const base = fromSearchAttributes(workflowId, description);

  if (execution === 'RUNNING') {
    try {
      return withTurnWait(fromState(base, await queryState(ctx, handle)), description, Date.now());
    } catch (err) {
      if ((err as Error).name !== 'QueryUnansweredError') throw err;
      const failure = (err as QueryUnansweredError).workflowTask ?? null;
      const detail = failure ? (err as QueryUnansweredError).message : base.statusDetail;
      return { ...base, statusDetail: detail, fallbackReason: (err as QueryUnansweredError).message, workflowTaskFailure: failure };
    }
  }

  if (execution === 'COMPLETED') {
    const outcome = (await handle.result()) as RunOutcome;
    const view = fromOutcome(base, outcome);
    return options.closedState ? withClosedState(ctx, handle, view) : view;
  }

  if (execution === 'CANCELLED') {
    // The workflow rolled back before it ended as cancelled; a worker can replay it to show what was undone.
    const view = await withClosedState(ctx, handle, { ...base, status: 'cancelled' as const });
    return { ...view, status: 'cancelled', pendingApprovals: [] };
  }

  const failure = await failureOf(handle, execution);
  const view: RunView = { ...base, status: 'failed', statusDetail: failure, failure, pendingApprovals: [] };
  return options.closedState ? withClosedState(ctx, handle, view) : view;
}

function fromSearchAttributes(workflowId: string, description: WorkflowExecutionDescription): RunView {
  const attributes = description.typedSearchAttributes;
  const execution = description.status.name;
  return {
    workflowId,
    runId: description.runId,
    execution,
    closed: execution !== 'RUNNING',
    agent: attributes.get(AgentName) ?? null,
    status: (attributes.get(AgentStatus) as RunStatus | undefined) ?? 'running',
    statusDetail: null,
    steps: attributes.get(AgentSteps) ?? null,
    usage: { inputTokens: null, outputTokens: null, costUsd: attributes.get(AgentCostUsd) ?? null },
    pendingApprovals: [],
    effects: [],
    timeline: [],
    compacted: null,
    state: null,
    outcome: null,
    failure: null,
    source: 'search_attributes',
    fallbackReason: null,
    version: runVersionOf(description),
    workflowTaskFailure: null,
    waitingForTurn: null,
  };
}

/** The model call of a running run that waits for its turn, from the pending activities Temporal describes. */
export function turnWaitOf(description: WorkflowExecutionDescription, nowMs: number): TurnWait | null {
  for (const activity of description.raw.pendingActivities ?? []) {
    if (activity.activityType?.name !== 'callModel' || activity.state !== temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED) continue;
    // A retry waits for its backoff first; only once it is due does it wait for its turn.
    const due = activity.nextAttemptScheduleTime ?? activity.scheduledTime;
    const dueMs = due ? Number(due.seconds ?? 0) * 1000 + Math.floor((due.nanos ?? 0) / 1e6) : null;
    if (dueMs !== null && nowMs - dueMs >= TURN_WAIT_AFTER_MS) return { since: new Date(dueMs).toISOString(), attempt: activity.attempt ?? 1 };
  }
  return null;
}

/** A running run whose model call waits for its turn says so, in its status detail too. */
function withTurnWait(view: RunView, description: WorkflowExecutionDescription, nowMs: number): RunView {
  const wait = view.status === 'running' ? turnWaitOf(description, nowMs) : null;
  if (!wait) return view;
  const seconds = Math.round((nowMs - Date.parse(wait.since)) / 1000);
  const detail = `${WAITING_FOR_TURN}: its model call (attempt ${wait.attempt}) has waited ${seconds}s on its task queue, scheduled and not started (the queue's rate limit holds it, or no model worker is free)`;
  return { ...view, statusDetail: detail, waitingForTurn: wait, state: view.state ? { ...view.state, statusDetail: detail } : null };
}

function usageOf(usage: RunUsage): RunView['usage'] {
  return {
    inputTokens: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    outputTokens: usage.outputTokens,
    costUsd: usage.costUsd,
    cachedInputTokens: usage.cacheReadTokens,
  };
}

function fromState(base: RunView, state: RunState): RunView {
  return {
    ...base,
    agent: state.agent,
    status: state.status,
    statusDetail: state.statusDetail,
    steps: state.steps,
    usage: usageOf(state.usage),
    pendingApprovals: state.pendingApprovals,
    effects: state.effects,
    timeline: state.timeline,
    compacted: state.compacted ?? null,
    state,
    source: 'query',
    fallbackReason: null,
  };
}

function fromOutcome(base: RunView, outcome: RunOutcome): RunView {
  return {
    ...base,
    status: outcome.status,
    statusDetail: outcome.reason,
    steps: outcome.steps,
    usage: usageOf(outcome.usage),
    pendingApprovals: [],
    effects: outcome.effects,
    compacted: outcome.compacted ?? null,
    outcome,
    source: 'result',
    fallbackReason: null,
  };
}

/** Adds a closed run's state when a worker answers; keeps the closed run's status and outcome either way. */
async function withClosedState(ctx: ClientContext, handle: WorkflowHandle, view: RunView): Promise<RunView> {
  try {
    const replayed = await queryState(ctx, handle, Math.min(ctx.queryTimeoutMs, SHORT_QUERY_TIMEOUT_MS));
    // A closed run waits for nobody: a run terminated while it asked keeps its pending calls in its replayed state.
    const merged = fromState(view, { ...replayed, pendingApprovals: [] });
    return {
      ...merged,
      status: view.status,
      statusDetail: view.statusDetail ?? merged.statusDetail,
      outcome: view.outcome,
      failure: view.failure,
      source: view.outcome ? 'result' : 'query',
    };
  } catch (err) {
    if ((err as Error).name !== 'QueryUnansweredError') throw err;
    return view.source === 'search_attributes' ? { ...view, fallbackReason: (err as Error).message } : view;
  }
}

async function failureOf(handle: WorkflowHandle, execution: string): Promise<string> {
  try {
    await handle.result();
    return `the run ended as ${execution.toLowerCase()}`;
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    const what = execution === 'TERMINATED' ? 'terminated' : execution === 'TIMED_OUT' ? 'timed out' : 'failed';
    return `the run ${what}${cause ? `: ${oneLine(cause)}` : ''}`;
  }
}
