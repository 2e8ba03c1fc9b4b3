/**
 * Overhead per step: an N-step `agentSaga` run (each turn one `get_weather` call) against `plainLoop`, a
 * plain workflow that runs the same activities one after another and sends the same requests. Runs
 * alternate, so drift on the machine hits both alike; the figure is the median of the repeats.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { median, resultWithin, round, tag } from './stats';
import type { BenchStack } from './stack';
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
}

export interface StepBreakdown {
  /** Model activity, started → completed (sagent's includes reading the context by query). */
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
  await runPlain(stack, 3, 'warmup');
  const sagent: number[] = [];
  const baseline: number[] = [];
  const sagentHandles: WorkflowHandle[] = [];
  const baselineHandles: WorkflowHandle[] = [];
  for (let repeat = 1; repeat <= plan.repeats; repeat++) {
    sagent.push(await runSagent(stack, plan.steps, `r${repeat}`, sagentHandles));
    baseline.push(await runPlain(stack, plan.steps, `r${repeat}`, baselineHandles));
    log(`overhead: repeat ${repeat}/${plan.repeats}: sagent ${round(sagent.at(-1)! / plan.steps)} ms/step, plain ${round(baseline.at(-1)! / plan.steps)} ms/step`);
  }
  const sagentMsPerStep = median(sagent) / plan.steps;
  const baselineMsPerStep = median(baseline) / plan.steps;
  return {
    steps: plan.steps,
    repeats: plan.repeats,
    sagentMsPerStep: round(sagentMsPerStep, 2),
    baselineMsPerStep: round(baselineMsPerStep, 2),
    ratio: round(sagentMsPerStep / baselineMsPerStep, 3),
    sagentSamplesMs: sagent.map((ms) => round(ms)),
    baselineSamplesMs: baseline.map((ms) => round(ms)),
    sagentBreakdown: await breakdownOf(sagentHandles),
    baselineBreakdown: await breakdownOf(baselineHandles),
  };
}

const MODEL_ACTIVITIES = new Set(['callModel', 'benchCallModel']);

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

/** Wall time of one sagent run, from start to result. */
async function runSagent(stack: BenchStack, steps: number, label: string, handles: WorkflowHandle[] = []): Promise<number> {
  const started = performance.now();
  const handle = await stack.startSagent(benchWorkflowId('weather', steps, `overhead-sagent-${label}-${tag()}`), sagentInput('weather', steps));
  const outcome = await resultWithin<{ status: string }>(handle, RUN_TIMEOUT_MS);
  const elapsed = performance.now() - started;
  if (outcome.status !== 'completed') throw new Error(`overhead: the sagent run ended ${outcome.status}`);
  handles.push(handle);
  return elapsed;
}

async function runPlain(stack: BenchStack, steps: number, label: string, handles: WorkflowHandle[] = []): Promise<number> {
  const started = performance.now();
  const handle = await stack.startBaseline('plainLoop', benchWorkflowId('weather', steps, `overhead-plain-${label}-${tag()}`), {
    task: TASKS.weather,
    maxTurns: steps + 10,
  });
  const outcome = await resultWithin<{ steps: number }>(handle, RUN_TIMEOUT_MS);
  const elapsed = performance.now() - started;
  if (outcome.steps !== steps) throw new Error(`overhead: the plain run did ${outcome.steps} steps, expected ${steps}`);
  handles.push(handle);
  return elapsed;
}
