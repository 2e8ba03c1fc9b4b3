/**
 * History growth: bytes and events of a run's history after 10, 30, 100, 300 steps of the reference
 * workload (separate runs; sagent with continue-as-new pushed out so one run holds every step), against
 * the naive loop that carries the whole conversation in every model activity's input. Then a long sagent
 * run with the default continue-as-new (every 100 turns): the sum over its chain and the largest run.
 */
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { followChain, type ChainLink } from './carried';
import { resultWithin, round, tag } from './stats';
import type { BenchStack } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';
import type { NaiveOutcome } from './workflows';

export interface HistoryPlan {
  steps: number[];
  /** Steps of the long run (default continue-as-new); `--long-steps N` overrides it. */
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
  /** Steps finished when a workflow task first carried `suggestContinueAsNew`; null if none did. */
  continueAsNewSuggestedAtStep: number | null;
  /** The history size that workflow task reported. */
  historyBytesWhenSuggested: number | null;
  note?: string;
}

/** One run (link) of the long run's chain: its bytes, events, and the carried input it started from, per field. */
export type ChainRun = ChainLink;

export interface LongRunResult {
  steps: number;
  runs: number;
  totalBytes: number;
  totalEvents: number;
  maxRunBytes: number;
  maxRunEvents: number;
  /** Bytes of the first link that ran a full `continueAsNewAfterTurns` turns (the first link, when there are two). */
  firstFullLinkBytes: number;
  /** The largest link over the first full one; the target is ≤ 1.10 (what is carried stays bounded). */
  maxOverFirstFull: number | null;
  /** Start to result, as the client saw it. */
  wallMs: number;
  chain: ChainRun[];
}

export interface HistoryResult {
  sagent: HistoryPoint[];
  naive: HistoryPoint[];
  /** The peer (`@temporalio/ai-sdk`'s agent), one run per size like the others. */
  peer: HistoryPoint[];
  /** First step at which the server suggested continue-as-new to the naive loop; null if it never did. */
  naiveContinueAsNewSuggestedAtStep: number | null;
  naiveHistoryBytesWhenSuggested: number | null;
  /** sagent's bytes/step at its largest size over bytes/step at 30 steps; the target is ≤ 1.10. */
  sagentGrowthRatio: number | null;
  longRun: LongRunResult;
}

/** The plan with the long run's length from `--long-steps N`, when the command line has it. */
export function withLongSteps<Plan extends { history: HistoryPlan }>(plan: Plan, argv: readonly string[]): Plan {
  const index = argv.indexOf('--long-steps');
  const steps = index > 0 ? Number(argv[index + 1]) : Number.NaN;
  if (index > 0 && !(Number.isInteger(steps) && steps > 0)) throw new Error(`--long-steps wants a whole number of steps, not ${argv[index + 1]}`);
  return index > 0 ? { ...plan, history: { ...plan.history, longRunSteps: steps } } : plan;
}

/** Far above any measured step count, so the measured runs never continue as new on their own count. */
const NO_CONTINUE_AS_NEW = 100_000;
const RUN_TIMEOUT_MS = 5 * 60_000;

export async function measureHistory(stack: BenchStack, plan: HistoryPlan, log: (line: string) => void): Promise<HistoryResult> {
  const sagent: HistoryPoint[] = [];
  const naive: HistoryPoint[] = [];
  const peer: HistoryPoint[] = [];
  for (const steps of plan.steps) {
    const sagentHandle = await stack.startSagent(
      benchWorkflowId('reference', steps, `history-sagent-${tag()}`),
      sagentInput('reference', steps, NO_CONTINUE_AS_NEW),
    );
    const outcome = await resultWithin<{ status: string }>(sagentHandle, RUN_TIMEOUT_MS);
    if (outcome.status !== 'completed') throw new Error(`history: the ${steps}-step sagent run ended ${outcome.status}`);
    sagent.push(await pointOf(stack, sagentHandle, steps));
    log(`history: sagent ${steps} steps: ${sagent.at(-1)!.bytes} bytes, ${sagent.at(-1)!.events} events`);

    const naiveHandle = await stack.startBaseline('naiveLoop', benchWorkflowId('reference', steps, `history-naive-${tag()}`), {
      task: TASKS.reference,
      maxTurns: steps + 10,
    });
    let failure: string | undefined;
    try {
      await resultWithin<NaiveOutcome>(naiveHandle, RUN_TIMEOUT_MS);
    } catch (err) {
      // The server terminates a run whose history passes its size limit; what is left is measured all the same.
      failure = String(err);
    }
    naive.push(await pointOf(stack, naiveHandle, steps, failure));
    const last = naive.at(-1)!;
    log(`history: naive ${steps} steps: ${last.bytes} bytes, ${last.events} events, ${last.status} after ${last.stepsDone} steps`);

    peer.push(await peerPoint(stack, steps));
    const peerLast = peer.at(-1)!;
    log(`history: peer ${steps} steps: ${peerLast.bytes} bytes, ${peerLast.events} events, ${peerLast.status} after ${peerLast.stepsDone} steps`);
  }

  const at30 = sagent.find((point) => point.steps === 30);
  const largest = sagent.at(-1);
  const firstSuggestion = naive.find((point) => point.continueAsNewSuggestedAtStep !== null);
  const longRun = await measureLongRun(stack, plan.longRunSteps, log);
  return {
    sagent,
    naive,
    peer,
    naiveContinueAsNewSuggestedAtStep: firstSuggestion?.continueAsNewSuggestedAtStep ?? null,
    naiveHistoryBytesWhenSuggested: firstSuggestion?.historyBytesWhenSuggested ?? null,
    sagentGrowthRatio: at30 && largest && largest !== at30 ? round(largest.bytesPerStep / at30.bytesPerStep, 3) : null,
    longRun,
  };
}

/** One peer run of `steps` reference steps, measured like the naive loop's (the server may terminate it). */
async function peerPoint(stack: BenchStack, steps: number): Promise<HistoryPoint> {
  const handle = await stack.startPeer(benchWorkflowId('reference', steps, `history-peer-${tag()}`), { task: TASKS.reference, maxTurns: steps + 10 });
  let failure: string | undefined;
  try {
    await resultWithin(handle, RUN_TIMEOUT_MS);
  } catch (err) {
    failure = String(err);
  }
  return pointOf(stack, handle, steps, failure);
}

async function pointOf(stack: BenchStack, handle: WorkflowHandleWithFirstExecutionRunId, steps: number, failure?: string): Promise<HistoryPoint> {
  // Bound to the first run: a run that continued as new would otherwise be measured by its last run only.
  const run = stack.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
  const description = await run.describe();
  const scan = await scanHistory(stack, handle.workflowId, handle.firstExecutionRunId);
  const bytes = description.historySize ?? Number.NaN;
  const point: HistoryPoint = {
    steps,
    bytes,
    events: description.historyLength,
    bytesPerStep: round(bytes / Math.max(1, scan.stepsDone)),
    status: description.status.name,
    stepsDone: scan.stepsDone,
    continueAsNewSuggestedAtStep: scan.suggestedAtStep,
    historyBytesWhenSuggested: scan.suggestedAtBytes,
  };
  const note = scan.terminatedBecause ?? (scan.continuedAsNew ? 'continued as new: only its first run is measured' : failure);
  if (note) point.note = note;
  return point;
}

interface HistoryScan {
  stepsDone: number;
  suggestedAtStep: number | null;
  suggestedAtBytes: number | null;
  terminatedBecause: string | null;
  continuedAsNew: boolean;
}

/**
 * Reads one run's history a few events at a time (a page of the naive loop's huge events would pass the
 * client's 4 MB gRPC message limit): steps finished, the first workflow task that suggested continue-as-new,
 * and how the run ended.
 */
async function scanHistory(stack: BenchStack, workflowId: string, runId: string): Promise<HistoryScan> {
  const scan: HistoryScan = { stepsDone: 0, suggestedAtStep: null, suggestedAtBytes: null, terminatedBecause: null, continuedAsNew: false };
  let completedActivities = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await stack.client.workflowService.getWorkflowExecutionHistory({
      namespace: stack.client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 4,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      if (event.activityTaskCompletedEventAttributes) completedActivities += 1;
      const task = event.workflowTaskStartedEventAttributes;
      if (task?.suggestContinueAsNew && scan.suggestedAtStep === null) {
        scan.suggestedAtStep = Math.floor(completedActivities / 2);
        scan.suggestedAtBytes = task.historySizeBytes ? Number(task.historySizeBytes.toString()) : null;
      }
      if (event.workflowExecutionTerminatedEventAttributes) scan.terminatedBecause = event.workflowExecutionTerminatedEventAttributes.reason ?? 'terminated';
      if (event.workflowExecutionContinuedAsNewEventAttributes) scan.continuedAsNew = true;
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  // Each step completes one model call and one tool call (the last model call ends the run).
  scan.stepsDone = Math.floor(completedActivities / 2);
  return scan;
}

/**
 * A long sagent run with the default continue-as-new: follows the chain of runs and sizes each, with the carried
 * input per field at each link's start (bench/carried.ts), so a book that grows with the run shows.
 */
async function measureLongRun(stack: BenchStack, steps: number, log: (line: string) => void): Promise<LongRunResult> {
  const workflowId = benchWorkflowId('reference', steps, `history-long-${tag()}`);
  const began = performance.now();
  const handle = await stack.startSagent(workflowId, sagentInput('reference', steps));
  // Sequential steps cost ~50-100 ms each on a loaded 2-core machine; give the run room for that and more.
  const outcome = await resultWithin<{ status: string }>(handle, Math.max(2 * RUN_TIMEOUT_MS, steps * 500));
  const wallMs = Math.round(performance.now() - began);
  if (outcome.status !== 'completed') throw new Error(`history: the ${steps}-step sagent run ended ${outcome.status}`);
  const chain = await followChain(stack.client, workflowId, handle.firstExecutionRunId);
  // The last link runs what is left of the steps; every other one ran a full continue-as-new period.
  const firstFull = chain.length > 1 ? chain[0] : undefined;
  const maxRunBytes = Math.max(...chain.map((run) => run.bytes));
  const result: LongRunResult = {
    steps,
    runs: chain.length,
    totalBytes: chain.reduce((sum, run) => sum + run.bytes, 0),
    totalEvents: chain.reduce((sum, run) => sum + run.events, 0),
    maxRunBytes,
    maxRunEvents: Math.max(...chain.map((run) => run.events)),
    firstFullLinkBytes: firstFull?.bytes ?? Number.NaN,
    maxOverFirstFull: firstFull ? round(maxRunBytes / firstFull.bytes, 3) : null,
    wallMs,
    chain,
  };
  log(
    `history: long run of ${steps} steps in ${Math.round(wallMs / 1000)} s: ${result.runs} runs, ${result.totalBytes} bytes in all, ` +
      `first full link ${result.firstFullLinkBytes} bytes, largest ${maxRunBytes} (× ${result.maxOverFirstFull})`,
  );
  log(`history: bytes per link: ${chain.map((run) => `${run.link}:${run.bytes}`).join(' ')}`);
  return result;
}
