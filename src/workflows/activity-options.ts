/**
 * The activities as the workflow sees them (a type only), and every option they run with, in one place: each
 * call's timeout and retries, and the summary the Temporal UI shows for it ("book_hotel · effect 7").
 */
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ToolDefinition } from '../tools/define';

/** The activity stubs; every call passes its own options below, merged over this default. */
export const activities = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes' });

// The activity beats every second whatever the stream does, and stalls fail it within the watchdog's deadlines,
// so a dead worker or a hung endpoint costs seconds per attempt; schedule-to-close bounds the call with its retries.
const MODEL_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
};

/**
 * One model call of a run that rides out outages: fewer attempts per model (so a fallback gets its turn, and a run
 * pauses on durable timers instead of retrying for half an hour), on the worker's model queue when the run names one.
 */
export function modelCallOptions(summary: string, attempts: number, taskQueue?: string): ActivityOptions {
  return { ...MODEL_OPTIONS, retry: { ...MODEL_OPTIONS.retry, maximumAttempts: attempts }, summary, ...(taskQueue ? { taskQueue } : {}) };
}

const NOTIFY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
};

/** One model call: Temporal is the only retry layer, so it retries with backoff (DESIGN.md, guarantee 6). */
export function modelOptions(summary: string): ActivityOptions {
  return { ...MODEL_OPTIONS, summary };
}

/** One tool call, bounded by the tool's own declaration; a cancelled run waits for the call to stop. */
export function toolOptions(tool: ToolDefinition, summary: string): ActivityOptions {
  return {
    startToCloseTimeout: tool.timeoutMs,
    heartbeatTimeout: Math.min(10_000, tool.timeoutMs),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: tool.maxAttempts },
    summary,
  };
}

/** One attempt of a compensation: the saga ledger retries it with its own backoff, so an operator can step in. */
export function compensateOptions(tool: ToolDefinition, summary: string): ActivityOptions {
  return { ...toolOptions(tool, summary), retry: { maximumAttempts: 1 } };
}

/** One attempt of a reconciliation: its rounds, with their growing waits, are the retries. */
export function reconcileOptions(tool: ToolDefinition, summary: string): ActivityOptions {
  return { ...toolOptions(tool, summary), retry: { maximumAttempts: 1 } };
}

/** Telling approvers a request waits: a few tries, since the request waits whether or not they hear of it. */
export function notifyOptions(summary: string): ActivityOptions {
  return { ...NOTIFY_OPTIONS, summary };
}
