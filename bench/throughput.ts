/**
 * Throughput: many concurrent short runs (the `weather` workload) against as many `plainLoop` runs, on the
 * same worker. The worker runs in this process, next to the model server, the services and the client, so
 * the RSS figures are the whole benchmark process's.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { median, percentile, resultWithin, round, sampleRss, tag } from './stats';
import type { BenchStack } from './stack';
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
  rssStartMb: number;
  rssPeakMb: number;
  rssMedianMb: number;
}

export interface ThroughputResult {
  runs: number;
  steps: number;
  repeats: number;
  sagent: ThroughputSide;
  baseline: ThroughputSide;
  sagentBursts: ThroughputSide[];
  baselineBursts: ThroughputSide[];
}

export async function measureThroughput(stack: BenchStack, plan: ThroughputPlan, log: (line: string) => void): Promise<ThroughputResult> {
  const sagentBursts: ThroughputSide[] = [];
  const baselineBursts: ThroughputSide[] = [];
  for (let repeat = 1; repeat <= plan.repeats; repeat++) {
    sagentBursts.push(
      await burst(plan, (index, label) =>
        stack.startSagent(benchWorkflowId('weather', plan.steps, `throughput-sagent-${label}-${index}`), sagentInput('weather', plan.steps)),
      ),
    );
    baselineBursts.push(
      await burst(plan, (index, label) =>
        stack.startBaseline('plainLoop', benchWorkflowId('weather', plan.steps, `throughput-plain-${label}-${index}`), {
          task: TASKS.weather,
          maxTurns: plan.steps + 10,
        }),
      ),
    );
    log(`throughput: burst ${repeat}/${plan.repeats} of ${plan.runs}×${plan.steps} steps: sagent ${sagentBursts.at(-1)!.wallMs} ms, plain ${baselineBursts.at(-1)!.wallMs} ms`);
  }
  return {
    runs: plan.runs,
    steps: plan.steps,
    repeats: plan.repeats,
    sagent: summarise(sagentBursts),
    baseline: summarise(baselineBursts),
    sagentBursts,
    baselineBursts,
  };
}

function summarise(bursts: ThroughputSide[]): ThroughputSide {
  const mid = (pick: (side: ThroughputSide) => number) => median(bursts.map(pick));
  return {
    wallMs: mid((side) => side.wallMs),
    runsPerSecond: mid((side) => side.runsPerSecond),
    stepsPerSecond: mid((side) => side.stepsPerSecond),
    p50LatencyMs: mid((side) => side.p50LatencyMs),
    p99LatencyMs: mid((side) => side.p99LatencyMs),
    rssStartMb: Math.min(...bursts.map((side) => side.rssStartMb)),
    rssPeakMb: Math.max(...bursts.map((side) => side.rssPeakMb)),
    rssMedianMb: mid((side) => side.rssMedianMb),
  };
}

/** Starts every run at once and waits for all; latency is each run's start-to-result time. */
async function burst(plan: ThroughputPlan, start: (index: number, label: string) => Promise<WorkflowHandle>): Promise<ThroughputSide> {
  const label = tag();
  const rss = sampleRss();
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
  const memory = rss.stop();
  return {
    wallMs: round(wallMs),
    runsPerSecond: round((plan.runs * 1000) / wallMs, 2),
    stepsPerSecond: round((plan.runs * plan.steps * 1000) / wallMs, 1),
    p50LatencyMs: round(median(latencies)),
    p99LatencyMs: round(percentile(latencies, 99)),
    rssStartMb: memory.startMb,
    rssPeakMb: memory.peakMb,
    rssMedianMb: memory.medianMb,
  };
}
