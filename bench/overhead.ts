/**
 * Overhead per step: an N-step `agentSaga` run (each turn one `get_weather` call) against `plainLoop`, a
 * plain workflow that runs the same activities one after another and sends the same requests, and against
 * the peer (`@temporalio/ai-sdk`'s agent with the same tool). Runs alternate, so drift on the machine hits
 * all alike; the figure is the median of the repeats. Each run's worker process is sampled alone for CPU.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { sampleProcess } from './proc';
import { median, resultWithin, round, tag } from './stats';
import type { BenchStack, ContextPath, PeerOutcome, WorkerName } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

const RUN_TIMEOUT_MS = 5 * 60_000;

export interface OverheadPlan {
  steps: number;
  repeats: number;
}

export interface OverheadResult {
  steps: number;
  repeats: number;
  sagentMsPerStep: number;
  baselineMsPerStep: number;
  /** sagent / baseline; the target is ≤ 1.15. */
  ratio: number;
  sagentSamplesMs: number[];
  baselineSamplesMs: number[];
  /** Where a step's time goes, from the timed runs' event times (medians over every event). */
  sagentBreakdown: StepBreakdown;
  baselineBreakdown: StepBreakdown;
  /** CPU ms of the run's worker process per step (median over the timed runs). */
  sagentWorkerCpuMsPerStep: number;
  baselineWorkerCpuMsPerStep: number;
  peer: SideResult;
  /** sagent with every model call reading its context by query (the context cache off): the fallback path. */
  sagentQuery: SideResult;
}

export interface SideResult {
  msPerStep: number;
  samplesMs: number[];
  breakdown: StepBreakdown;
  workerCpuMsPerStep: number;
}

export interface StepBreakdown {
  /** Model activity, started → completed (sagent's includes getting the context: from the cache, or by query). */
  modelActivityMs: number;
  /** Tool activity, started → completed. */
  toolActivityMs: number;
  /** Workflow task scheduled → started: waiting for the worker to pick it up. */
  workflowTaskWaitMs: number;
  /** Workflow task started → completed: the workflow code's turn on the worker. */
  workflowTaskRunMs: number;
}

export async function measureOverhead(stack: BenchStack, plan: OverheadPlan, log: (line: string) => void): Promise<OverheadResult> {
  // One short run of each first, so the bundle, the caches and the JIT are warm before anything is timed.
  await runSagent(stack, 3, 'warmup');
  await runSagent(stack, 3, 'warmup', [], 'query');
  await runPlain(stack, 3, 'warmup');
  await runPeer(stack, 3, 'warmup');
  const sagent: Timed[] = [];
  const baseline: Timed[] = [];
  const peer: Timed[] = [];
  const sagentQuery: Timed[] = [];
  const sagentQueryHandles: WorkflowHandle[] = [];
  const sagentHandles: WorkflowHandle[] = [];
  const baselineHandles: WorkflowHandle[] = [];
  const peerHandles: WorkflowHandle[] = [];
  for (let repeat = 1; repeat <= plan.repeats; repeat++) {
    sagent.push(await runSagent(stack, plan.steps, `r${repeat}`, sagentHandles));
    baseline.push(await runPlain(stack, plan.steps, `r${repeat}`, baselineHandles));
    peer.push(await runPeer(stack, plan.steps, `r${repeat}`, peerHandles));
    sagentQuery.push(await runSagent(stack, plan.steps, `r${repeat}`, sagentQueryHandles, 'query'));
    const perStep = (runs: Timed[]) => round(runs.at(-1)!.ms / plan.steps);
    log(
      `overhead: repeat ${repeat}/${plan.repeats}: sagent ${perStep(sagent)} ms/step (by query ${perStep(sagentQuery)}), plain ${perStep(baseline)} ms/step, peer ${perStep(peer)} ms/step`,
    );
  }
  const msPerStep = (runs: Timed[]) => median(runs.map((run) => run.ms)) / plan.steps;
  const cpuPerStep = (runs: Timed[]) => round(median(runs.map((run) => run.workerCpuMs)) / plan.steps, 2);
  const sagentMsPerStep = msPerStep(sagent);
  const baselineMsPerStep = msPerStep(baseline);
  return {
    steps: plan.steps,
    repeats: plan.repeats,
    sagentMsPerStep: round(sagentMsPerStep, 2),
    baselineMsPerStep: round(baselineMsPerStep, 2),
    ratio: round(sagentMsPerStep / baselineMsPerStep, 3),
    sagentSamplesMs: sagent.map((run) => round(run.ms)),
    baselineSamplesMs: baseline.map((run) => round(run.ms)),
    sagentBreakdown: await breakdownOf(sagentHandles),
    baselineBreakdown: await breakdownOf(baselineHandles),
    sagentWorkerCpuMsPerStep: cpuPerStep(sagent),
    baselineWorkerCpuMsPerStep: cpuPerStep(baseline),
    peer: await side(peer, peerHandles),
    sagentQuery: await side(sagentQuery, sagentQueryHandles),
  };

  async function side(runs: Timed[], handles: WorkflowHandle[]): Promise<SideResult> {
    return {
      msPerStep: round(msPerStep(runs), 2),
      samplesMs: runs.map((run) => round(run.ms)),
      breakdown: await breakdownOf(handles),
      workerCpuMsPerStep: cpuPerStep(runs),
    };
  }
}

/** One run's wall time (start to result, at the client) and the CPU its worker process used meanwhile. */
interface Timed {
  ms: number;
  workerCpuMs: number;
}

async function timed(stack: BenchStack, worker: WorkerName, run: () => Promise<void>): Promise<Timed> {
  const sample = sampleProcess(stack.workers[worker].pid);
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  return { ms, workerCpuMs: sample.stop().cpuMs };
}

// The peer's model activity is the plugin's `invokeModel`.
const MODEL_ACTIVITIES = new Set(['callModel', 'benchCallModel', 'invokeModel']);

/** Medians of each kind of interval, over the events of every given run. */
async function breakdownOf(handles: WorkflowHandle[]): Promise<StepBreakdown> {
  const model: number[] = [];
  const tool: number[] = [];
  const wait: number[] = [];
  const run: number[] = [];
  for (const handle of handles) {
    const events = (await handle.fetchHistory()).events ?? [];
    const at = new Map<number, number>();
    const typeOf = new Map<number, string>();
    for (const event of events) {
      const id = Number(event.eventId);
      const time = event.eventTime ? Number(event.eventTime.seconds) * 1000 + (event.eventTime.nanos ?? 0) / 1e6 : Number.NaN;
      at.set(id, time);
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) typeOf.set(id, scheduled.activityType?.name ?? '');
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) {
        const ms = time - at.get(Number(completed.startedEventId))!;
        (MODEL_ACTIVITIES.has(typeOf.get(Number(completed.scheduledEventId)) ?? '') ? model : tool).push(ms);
      }
      const started = event.workflowTaskStartedEventAttributes;
      if (started) wait.push(time - at.get(Number(started.scheduledEventId))!);
      const done = event.workflowTaskCompletedEventAttributes;
      if (done) run.push(time - at.get(Number(done.startedEventId))!);
    }
  }
  return {
    modelActivityMs: round(median(model)),
    toolActivityMs: round(median(tool)),
    workflowTaskWaitMs: round(median(wait)),
    workflowTaskRunMs: round(median(run)),
  };
}

/** Wall time of one sagent run, from start to result, its contexts handed over by sink or read by query. */
async function runSagent(stack: BenchStack, steps: number, label: string, handles: WorkflowHandle[] = [], via: ContextPath = 'sink'): Promise<Timed> {
  return timed(stack, via === 'sink' ? 'sagent' : 'sagentQuery', async () => {
    const handle = await stack.startSagent(benchWorkflowId('weather', steps, `overhead-sagent-${via}-${label}-${tag()}`), sagentInput('weather', steps), via);
    const outcome = await resultWithin<{ status: string }>(handle, RUN_TIMEOUT_MS);
    if (outcome.status !== 'completed') throw new Error(`overhead: the sagent run ended ${outcome.status}`);
    handles.push(handle);
  });
}

async function runPlain(stack: BenchStack, steps: number, label: string, handles: WorkflowHandle[] = []): Promise<Timed> {
  return timed(stack, 'baseline', async () => {
    const handle = await stack.startBaseline('plainLoop', benchWorkflowId('weather', steps, `overhead-plain-${label}-${tag()}`), {
      task: TASKS.weather,
      maxTurns: steps + 10,
    });
    const outcome = await resultWithin<{ steps: number }>(handle, RUN_TIMEOUT_MS);
    if (outcome.steps !== steps) throw new Error(`overhead: the plain run did ${outcome.steps} steps, expected ${steps}`);
    handles.push(handle);
  });
}

async function runPeer(stack: BenchStack, steps: number, label: string, handles: WorkflowHandle[] = []): Promise<Timed> {
  return timed(stack, 'peer', async () => {
    const handle = await stack.startPeer(benchWorkflowId('weather', steps, `overhead-peer-${label}-${tag()}`), { task: TASKS.weather, maxTurns: steps + 10 });
    const outcome = await resultWithin<PeerOutcome>(handle, RUN_TIMEOUT_MS);
    if (outcome.steps !== steps) throw new Error(`overhead: the peer run did ${outcome.steps} steps, expected ${steps}`);
    handles.push(handle);
  });
}
