/**
 * History growth: bytes and events of a run's history after 10, 30, 100, 300 steps of the reference
 * workload (separate runs; sagent with continue-as-new pushed out so one run holds every step), against
 * the naive loop that carries the whole conversation in every model activity's input. Then a long sagent
 * run with the default continue-as-new (every 100 turns): the sum over its chain and the largest run.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { resultWithin, round, tag } from './stats';
import type { BenchStack } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';
import type { NaiveOutcome } from './workflows';

export interface HistoryPlan {
  steps: number[];
  longRunSteps: number;
}

export interface HistoryPoint {
  steps: number;
  /** `describe().historySize`: bytes of the run's history as the server counts them. */
  bytes: number;
  events: number;
  bytesPerStep: number;
  /** How the run ended: COMPLETED, or TERMINATED when the server killed it at its history limit. */
  status: string;
  /** Tool steps the run had finished (fewer than `steps` when it was terminated). */
  stepsDone: number;
  note?: string;
}

export interface ChainRun {
  runId: string;
  bytes: number;
  events: number;
}

export interface HistoryResult {
  sagent: HistoryPoint[];
  naive: HistoryPoint[];
  /** First step at which the server suggested continue-as-new to the naive loop; null if it never did. */
  naiveContinueAsNewSuggestedAtStep: number | null;
  naiveHistoryBytesWhenSuggested: number | null;
  /** sagent's bytes/step at its largest size over bytes/step at 30 steps; the target is ≤ 1.10. */
  sagentGrowthRatio: number | null;
  longRun: { steps: number; runs: number; totalBytes: number; totalEvents: number; maxRunBytes: number; maxRunEvents: number; chain: ChainRun[] };
}

/** Far above any measured step count, so the measured runs never continue as new. */
const NO_CONTINUE_AS_NEW = 100_000;
const RUN_TIMEOUT_MS = 5 * 60_000;

export async function measureHistory(stack: BenchStack, plan: HistoryPlan, log: (line: string) => void): Promise<HistoryResult> {
  const sagent: HistoryPoint[] = [];
  const naive: HistoryPoint[] = [];
  let suggestedAt: number | null = null;
  let suggestedBytes: number | null = null;
  for (const steps of plan.steps) {
    const sagentHandle = await stack.startSagent(
      benchWorkflowId('reference', steps, `history-sagent-${tag()}`),
      sagentInput('reference', steps, NO_CONTINUE_AS_NEW),
    );
    const outcome = await resultWithin<{ status: string }>(sagentHandle, RUN_TIMEOUT_MS);
    if (outcome.status !== 'completed') throw new Error(`history: the ${steps}-step sagent run ended ${outcome.status}`);
    sagent.push(await pointOf(sagentHandle, steps, 'COMPLETED', steps));
    log(`history: sagent ${steps} steps: ${sagent.at(-1)!.bytes} bytes, ${sagent.at(-1)!.events} events`);

    const naiveHandle = await stack.startBaseline('naiveLoop', benchWorkflowId('reference', steps, `history-naive-${tag()}`), {
      task: TASKS.reference,
      maxTurns: steps + 10,
    });
    try {
      const stats = await resultWithin<NaiveOutcome>(naiveHandle, RUN_TIMEOUT_MS);
      if (suggestedAt === null && stats.continueAsNewSuggestedAtStep !== null) {
        suggestedAt = stats.continueAsNewSuggestedAtStep;
        suggestedBytes = stats.historySizeWhenSuggested;
      }
      naive.push(await pointOf(naiveHandle, steps, 'COMPLETED', stats.steps));
    } catch (err) {
      // The server terminates a run whose history passes its size limit; measure what was left.
      const { done, reason } = await naiveProgress(stack, naiveHandle);
      naive.push(await pointOf(naiveHandle, steps, (await naiveHandle.describe()).status.name, done, reason ?? String(err)));
    }
    const last = naive.at(-1)!;
    log(`history: naive ${steps} steps: ${last.bytes} bytes, ${last.events} events, ${last.status} after ${last.stepsDone} steps`);
  }

  const at30 = sagent.find((point) => point.steps === 30);
  const largest = sagent.at(-1);
  const longRun = await measureLongRun(stack, plan.longRunSteps, log);
  return {
    sagent,
    naive,
    naiveContinueAsNewSuggestedAtStep: suggestedAt,
    naiveHistoryBytesWhenSuggested: suggestedBytes,
    sagentGrowthRatio: at30 && largest && largest !== at30 ? round(largest.bytesPerStep / at30.bytesPerStep, 3) : null,
    longRun,
  };
}

async function pointOf(handle: WorkflowHandle, steps: number, status: string, stepsDone: number, note?: string): Promise<HistoryPoint> {
  const description = await handle.describe();
  const bytes = description.historySize ?? Number.NaN;
  const point: HistoryPoint = {
    steps,
    bytes,
    events: description.historyLength,
    bytesPerStep: round(bytes / Math.max(1, stepsDone)),
    status,
    stepsDone,
  };
  if (note) point.note = note;
  return point;
}

/**
 * Tool steps a naive run finished, and why it was terminated, read from its history a few events at a time
 * (a page of its huge events would pass the client's 4 MB gRPC message limit).
 */
async function naiveProgress(stack: BenchStack, handle: WorkflowHandle): Promise<{ done: number; reason: string | null }> {
  let done = 0;
  let reason: string | null = null;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await stack.client.workflowService.getWorkflowExecutionHistory({
      namespace: stack.client.options.namespace,
      execution: { workflowId: handle.workflowId },
      maximumPageSize: 4,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      if (event.activityTaskCompletedEventAttributes) done += 1;
      if (event.workflowExecutionTerminatedEventAttributes) reason = event.workflowExecutionTerminatedEventAttributes.reason ?? null;
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  // Each step completes a model call and a tool call.
  return { done: Math.floor(done / 2), reason };
}

/** A long sagent run with the default continue-as-new: follows the chain of runs and sizes each. */
async function measureLongRun(stack: BenchStack, steps: number, log: (line: string) => void): Promise<HistoryResult['longRun']> {
  const workflowId = benchWorkflowId('reference', steps, `history-long-${tag()}`);
  const handle = await stack.startSagent(workflowId, sagentInput('reference', steps));
  const outcome = await resultWithin<{ status: string }>(handle, 2 * RUN_TIMEOUT_MS);
  if (outcome.status !== 'completed') throw new Error(`history: the ${steps}-step sagent run ended ${outcome.status}`);
  const chain: ChainRun[] = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const run: WorkflowHandle = stack.client.workflow.getHandle(workflowId, runId);
    const description = await run.describe();
    chain.push({ runId, bytes: description.historySize ?? Number.NaN, events: description.historyLength });
    const history = await run.fetchHistory();
    const next: string | null | undefined = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    runId = next ?? undefined;
  }
  const result = {
    steps,
    runs: chain.length,
    totalBytes: chain.reduce((sum, run) => sum + run.bytes, 0),
    totalEvents: chain.reduce((sum, run) => sum + run.events, 0),
    maxRunBytes: Math.max(...chain.map((run) => run.bytes)),
    maxRunEvents: Math.max(...chain.map((run) => run.events)),
    chain,
  };
  log(`history: long run of ${steps} steps: ${result.runs} runs, ${result.totalBytes} bytes in all, largest run ${result.maxRunBytes} bytes`);
  return result;
}
