/**
 * Throughput: many concurrent short runs (the `weather` workload) of sagent, of `plainLoop` and of the peer,
 * each on its own worker process; bursts alternate. During each burst only the worker that runs it is
 * sampled: its CPU time (user + system, from /proc) and its resident memory every 100 ms.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { sampleProcess } from './proc';
import { median, percentile, resultWithin, round, tag } from './stats';
import type { BenchStack, WorkerName } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

export interface ThroughputPlan {
  runs: number;
  steps: number;
  /** Bursts of each kind, alternating; each figure is the median over the bursts (RSS: the highest peak). */
  repeats: number;
}

export interface ThroughputSide {
  wallMs: number;
  runsPerSecond: number;
  stepsPerSecond: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  /** CPU ms the worker process used during the burst, per step. */
  workerCpuMsPerStep: number;
  /** The worker's CPU time over the burst's wall time: 1.0 is one core kept busy. */
  workerCpuCores: number;
  workerRssStartMb: number;
  workerRssPeakMb: number;
  workerRssMedianMb: number;
}

export interface ThroughputResult {
  runs: number;
  steps: number;
  repeats: number;
  sagent: ThroughputSide;
  baseline: ThroughputSide;
  peer: ThroughputSide;
  /** sagent with every model call reading its context by query (the context cache off): the fallback path. */
  sagentQuery: ThroughputSide;
  sagentQueryBursts: ThroughputSide[];
  sagentBursts: ThroughputSide[];
  baselineBursts: ThroughputSide[];
  peerBursts: ThroughputSide[];
}

export async function measureThroughput(stack: BenchStack, plan: ThroughputPlan, log: (line: string) => void): Promise<ThroughputResult> {
  const bursts: Record<WorkerName, ThroughputSide[]> = { sagent: [], sagentQuery: [], baseline: [], peer: [] };
  const baselineInput = { task: TASKS.weather, maxTurns: plan.steps + 10 };
  const starts: Record<WorkerName, (index: number, label: string) => Promise<WorkflowHandle>> = {
    sagent: (index, label) =>
      stack.startSagent(benchWorkflowId('weather', plan.steps, `throughput-sagent-${label}-${index}`), sagentInput('weather', plan.steps)),
    sagentQuery: (index, label) =>
      stack.startSagent(benchWorkflowId('weather', plan.steps, `throughput-sagent-query-${label}-${index}`), sagentInput('weather', plan.steps), 'query'),
    baseline: (index, label) => stack.startBaseline('plainLoop', benchWorkflowId('weather', plan.steps, `throughput-plain-${label}-${index}`), baselineInput),
    peer: (index, label) => stack.startPeer(benchWorkflowId('weather', plan.steps, `throughput-peer-${label}-${index}`), baselineInput),
  };
  for (let repeat = 1; repeat <= plan.repeats; repeat++) {
    for (const side of ['sagent', 'baseline', 'peer', 'sagentQuery'] as const) {
      bursts[side].push(await burst(plan, stack.workers[side].pid, starts[side]));
    }
    const wall = (side: WorkerName) => `${bursts[side].at(-1)!.wallMs} ms`;
    log(`throughput: burst ${repeat}/${plan.repeats} of ${plan.runs}×${plan.steps} steps: sagent ${wall('sagent')} (by query ${wall('sagentQuery')}), plain ${wall('baseline')}, peer ${wall('peer')}`);
  }
  return {
    runs: plan.runs,
    steps: plan.steps,
    repeats: plan.repeats,
    sagent: summarise(bursts.sagent),
    baseline: summarise(bursts.baseline),
    peer: summarise(bursts.peer),
    sagentQuery: summarise(bursts.sagentQuery),
    sagentQueryBursts: bursts.sagentQuery,
    sagentBursts: bursts.sagent,
    baselineBursts: bursts.baseline,
    peerBursts: bursts.peer,
  };
}

function summarise(bursts: ThroughputSide[]): ThroughputSide {
  const mid = (pick: (side: ThroughputSide) => number) => median(bursts.map(pick));
  // Wall time and the rates derived from it come from one burst, the median one, so they agree with each other.
  const middle = bursts.find((side) => side.wallMs === mid((burst) => burst.wallMs))!;
  return {
    wallMs: middle.wallMs,
    runsPerSecond: middle.runsPerSecond,
    stepsPerSecond: middle.stepsPerSecond,
    p50LatencyMs: mid((side) => side.p50LatencyMs),
    p99LatencyMs: mid((side) => side.p99LatencyMs),
    workerCpuMsPerStep: mid((side) => side.workerCpuMsPerStep),
    workerCpuCores: mid((side) => side.workerCpuCores),
    workerRssStartMb: Math.min(...bursts.map((side) => side.workerRssStartMb)),
    workerRssPeakMb: Math.max(...bursts.map((side) => side.workerRssPeakMb)),
    workerRssMedianMb: mid((side) => side.workerRssMedianMb),
  };
}

/** Starts every run at once and waits for all; latency is each run's start-to-result time. */
async function burst(plan: ThroughputPlan, workerPid: number, start: (index: number, label: string) => Promise<WorkflowHandle>): Promise<ThroughputSide> {
  const label = tag();
  const worker = sampleProcess(workerPid);
  const began = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: plan.runs }, async (_, index) => {
      const started = performance.now();
      const handle = await start(index, label);
      const outcome = await resultWithin<{ status?: string }>(handle, 5 * 60_000);
      if (outcome.status !== undefined && outcome.status !== 'completed') throw new Error(`throughput: ${handle.workflowId} ended ${outcome.status}`);
      return performance.now() - started;
    }),
  );
  const wallMs = performance.now() - began;
  const used = worker.stop();
  return {
    wallMs: round(wallMs),
    runsPerSecond: round((plan.runs * 1000) / wallMs, 2),
    stepsPerSecond: round((plan.runs * plan.steps * 1000) / wallMs, 1),
    p50LatencyMs: round(median(latencies)),
    p99LatencyMs: round(percentile(latencies, 99)),
    workerCpuMsPerStep: round(used.cpuMs / (plan.runs * plan.steps), 2),
    workerCpuCores: round(used.cpuMs / wallMs, 2),
    workerRssStartMb: used.rssStartMb,
    workerRssPeakMb: used.rssPeakMb,
    workerRssMedianMb: used.rssMedianMb,
  };
}
