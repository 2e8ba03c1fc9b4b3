/**
 * Overhead per step: an N-step `agentSaga` run (each turn one `get_weather` call) against `plainLoop`, a
 * plain workflow that runs the same activities one after another and sends the same requests. Runs
 * alternate, so drift on the machine hits both alike; the figure is the median of the repeats.
 */
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
}

export async function measureOverhead(stack: BenchStack, plan: OverheadPlan, log: (line: string) => void): Promise<OverheadResult> {
  // One short run of each first, so the bundle, the caches and the JIT are warm before anything is timed.
  await runSagent(stack, 3, 'warmup');
  await runPlain(stack, 3, 'warmup');
  const sagent: number[] = [];
  const baseline: number[] = [];
  for (let repeat = 1; repeat <= plan.repeats; repeat++) {
    sagent.push(await runSagent(stack, plan.steps, `r${repeat}`));
    baseline.push(await runPlain(stack, plan.steps, `r${repeat}`));
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
  };
}

/** Wall time of one sagent run, from start to result. */
async function runSagent(stack: BenchStack, steps: number, label: string): Promise<number> {
  const started = performance.now();
  const handle = await stack.startSagent(benchWorkflowId('weather', steps, `overhead-sagent-${label}-${tag()}`), sagentInput('weather', steps));
  const outcome = await resultWithin<{ status: string }>(handle, RUN_TIMEOUT_MS);
  const elapsed = performance.now() - started;
  if (outcome.status !== 'completed') throw new Error(`overhead: the sagent run ended ${outcome.status}`);
  return elapsed;
}

async function runPlain(stack: BenchStack, steps: number, label: string): Promise<number> {
  const started = performance.now();
  const handle = await stack.startBaseline('plainLoop', benchWorkflowId('weather', steps, `overhead-plain-${label}-${tag()}`), {
    task: TASKS.weather,
    maxTurns: steps + 10,
  });
  const outcome = await resultWithin<{ steps: number }>(handle, RUN_TIMEOUT_MS);
  const elapsed = performance.now() - started;
  if (outcome.steps !== steps) throw new Error(`overhead: the plain run did ${outcome.steps} steps, expected ${steps}`);
  return elapsed;
}
