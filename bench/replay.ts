/**
 * Replay: the time `Worker.runReplayHistory` takes to replay a long history (what a worker pays when a run
 * leaves its cache, and what the replay tests pay), for sagent and for the plain loop of the same length.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { median, resultWithin, round, tag } from './stats';
import type { BenchStack } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

export interface ReplayPlan {
  steps: number;
  repeats: number;
}

export interface ReplaySide {
  medianMs: number;
  samplesMs: number[];
  events: number;
  bytes: number;
}

export interface ReplayResult {
  steps: number;
  repeats: number;
  sagent: ReplaySide;
  baseline: ReplaySide;
}

export async function measureReplay(stack: BenchStack, plan: ReplayPlan, log: (line: string) => void): Promise<ReplayResult> {
  const sagentHandle = await stack.startSagent(
    benchWorkflowId('reference', plan.steps, `replay-sagent-${tag()}`),
    sagentInput('reference', plan.steps, 100_000),
  );
  await resultWithin(sagentHandle, 5 * 60_000);
  const plainHandle = await stack.startBaseline('plainLoop', benchWorkflowId('reference', plan.steps, `replay-plain-${tag()}`), {
    task: TASKS.reference,
    maxTurns: plan.steps + 10,
  });
  await resultWithin(plainHandle, 5 * 60_000);
  const sagent = await replayTimes(stack, sagentHandle, plan.repeats);
  log(`replay: sagent ${plan.steps} steps (${sagent.events} events): median ${sagent.medianMs} ms`);
  const baseline = await replayTimes(stack, plainHandle, plan.repeats);
  log(`replay: plain ${plan.steps} steps (${baseline.events} events): median ${baseline.medianMs} ms`);
  return { steps: plan.steps, repeats: plan.repeats, sagent, baseline };
}

async function replayTimes(stack: BenchStack, handle: WorkflowHandle, repeats: number): Promise<ReplaySide> {
  const history = await handle.fetchHistory();
  const description = await handle.describe();
  const samples: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const started = performance.now();
    await Worker.runReplayHistory({ workflowBundle: stack.bundle }, history, handle.workflowId);
    samples.push(performance.now() - started);
  }
  return {
    medianMs: round(median(samples)),
    samplesMs: samples.map((ms) => round(ms)),
    events: description.historyLength,
    bytes: description.historySize ?? Number.NaN,
  };
}
