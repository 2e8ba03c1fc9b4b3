/**
 * Throughput: many concurrent short runs (the `weather` workload) of sagent, of `plainLoop` and of the peer,
 * each on its own worker process; bursts alternate in the same order every repeat, and each starts once the machine
 * has gone quiet after the one before. During each burst only the worker that runs it is sampled: its CPU time
 * (user + system, from /proc) and its resident memory every 100 ms.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { sampleProcess, threadCpuSince, threadTicksOf, waitForQuiet, type ThreadCpu } from './proc';
import { median, percentile, ratioSpread, resultWithin, round, tag, type RatioSpread } from './stats';
import { withStack, runMain } from './entry';
import type { BenchStack, WorkerName } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

export interface ThroughputPlan {
  runs: number;
  steps: number;
  /** Bursts of each kind, alternating; each figure is the median over the bursts (RSS: the highest peak). */
  repeats: number;
  /** Measure only these workers (the fleet of a quick look: sagent and plain). @default all four */
  sides?: readonly WorkerName[];
}

export interface ThroughputSide {
  wallMs: number;
  runsPerSecond: number;
  stepsPerSecond: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  /** CPU ms the worker process used during the burst, per step. */
  workerCpuMsPerStep: number;
  /** The same CPU by thread: the main thread (activities), the workflow thread (workflow code) and the rest. */
  workerThreadCpuMsPerStep: ThreadCpu;
  /** The worker's CPU time over the burst's wall time: 1.0 is one core kept busy. */
  workerCpuCores: number;
  workerRssStartMb: number;
  workerRssPeakMb: number;
  workerRssMedianMb: number;
  /** How long the burst waited for the machine to go quiet after the one before (median over bursts). */
  quietWaitMs: number;
  /** The machine's idle CPU share over the second before the burst began, 0-1 (median over bursts). */
  idleShareBefore: number;
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
  /**
   * sagent ÷ plain per pair of neighbouring bursts (burst i of each; they alternate, so a pair shares the machine's
   * state): its median and interquartile range. Steps/s is the throughput ratio, CPU ms per step the stable one.
   */
  pairedRatios: { stepsPerSecond: RatioSpread; workerCpuMsPerStep: RatioSpread };
}

/** A ratio's median over paired bursts, with its 25th and 75th percentiles and every pair's value. */
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
  // The same order every repeat, so every worker sits idle for as many bursts between two of its own: a worker that
  // sat idle for longer comes back slower.
  const planned = plan.sides ?? (['sagent', 'baseline', 'peer', 'sagentQuery'] as const);
  for (let repeat = 1; repeat <= plan.repeats; repeat++) {
    for (const side of planned) {
      bursts[side].push(await burst(plan, stack.workers[side].pid, starts[side]));
    }
    const wall = (side: WorkerName) => `${bursts[side].at(-1)?.wallMs ?? '-'} ms`;
    log(
      `throughput: burst ${repeat}/${plan.repeats} of ${plan.runs}×${plan.steps} steps: sagent ${wall('sagent')} (by query ${wall('sagentQuery')}), plain ${wall('baseline')}, peer ${wall('peer')}; quiet after ${planned.map((side) => `${bursts[side].at(-1)?.quietWaitMs} ms`).join(', ')}`,
    );
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
    pairedRatios: {
      stepsPerSecond: ratioSpread(
        bursts.sagent.map((b) => b.stepsPerSecond),
        bursts.baseline.map((b) => b.stepsPerSecond),
      ),
      workerCpuMsPerStep: ratioSpread(
        bursts.sagent.map((b) => b.workerCpuMsPerStep),
        bursts.baseline.map((b) => b.workerCpuMsPerStep),
      ),
    },
  };
}

function summarise(bursts: ThroughputSide[]): ThroughputSide {
  if (bursts.length === 0) return nothingMeasured();
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
    workerThreadCpuMsPerStep: {
      main: mid((side) => side.workerThreadCpuMsPerStep.main),
      workflowThread: mid((side) => side.workerThreadCpuMsPerStep.workflowThread),
      core: mid((side) => side.workerThreadCpuMsPerStep.core ?? Number.NaN),
      rest: mid((side) => side.workerThreadCpuMsPerStep.rest),
    },
    workerCpuCores: mid((side) => side.workerCpuCores),
    workerRssStartMb: Math.min(...bursts.map((side) => side.workerRssStartMb)),
    workerRssPeakMb: Math.max(...bursts.map((side) => side.workerRssPeakMb)),
    workerRssMedianMb: mid((side) => side.workerRssMedianMb),
    quietWaitMs: mid((side) => side.quietWaitMs),
    idleShareBefore: mid((side) => side.idleShareBefore),
  };
}

/** A side left out of the plan (`sides`): every figure NaN, which the table prints as such. */
function nothingMeasured(): ThroughputSide {
  const none = Number.NaN;
  return {
    wallMs: none,
    runsPerSecond: none,
    stepsPerSecond: none,
    p50LatencyMs: none,
    p99LatencyMs: none,
    workerCpuMsPerStep: none,
    workerThreadCpuMsPerStep: { main: none, workflowThread: none, core: none, rest: none },
    workerCpuCores: none,
    workerRssStartMb: none,
    workerRssPeakMb: none,
    workerRssMedianMb: none,
    quietWaitMs: none,
    idleShareBefore: none,
  };
}

/** Starts every run at once and waits for all; latency is each run's start-to-result time. */
async function burst(plan: ThroughputPlan, workerPid: number, start: (index: number, label: string) => Promise<WorkflowHandle>): Promise<ThroughputSide> {
  const quiet = await waitForQuiet();
  const label = tag();
  const worker = sampleProcess(workerPid);
  const threadsAtStart = threadTicksOf(workerPid);
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
  const threads = threadCpuSince(workerPid, threadsAtStart);
  const perStep = (ms: number) => round(ms / (plan.runs * plan.steps), 2);
  return {
    wallMs: round(wallMs),
    runsPerSecond: round((plan.runs * 1000) / wallMs, 2),
    stepsPerSecond: round((plan.runs * plan.steps * 1000) / wallMs, 1),
    p50LatencyMs: round(median(latencies)),
    p99LatencyMs: round(percentile(latencies, 99)),
    workerCpuMsPerStep: perStep(used.cpuMs),
    workerThreadCpuMsPerStep: {
      main: perStep(threads.main),
      workflowThread: perStep(threads.workflowThread),
      core: perStep(threads.core ?? Number.NaN),
      rest: perStep(threads.rest),
    },
    workerCpuCores: round(used.cpuMs / wallMs, 2),
    workerRssStartMb: used.rssStartMb,
    workerRssPeakMb: used.rssPeakMb,
    workerRssMedianMb: used.rssMedianMb,
    quietWaitMs: quiet.waitedMs,
    idleShareBefore: quiet.idleShare,
  };
}

/**
 * This section alone, on its own stack, at a size of your choice:
 * `npx tsx bench/throughput.ts --runs 20 --steps 5 --repeats 7 --sides sagent,baseline`.
 */
async function main(): Promise<void> {
  const flag = (name: string, fallback: string) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : fallback);
  const sides = flag('--sides', 'sagent,baseline,peer,sagentQuery').split(',') as WorkerName[];
  if (!sides.includes('sagent') || !sides.includes('baseline')) throw new Error('--sides: name sagent and baseline at least (the ratio compares them)');
  const plan: ThroughputPlan = { runs: Number(flag('--runs', '100')), steps: Number(flag('--steps', '10')), repeats: Number(flag('--repeats', '7')), sides };
  await withStack('throughput', async (stack, log) => {
    const result = await measureThroughput(stack, plan, log);
    const spread = (name: string, r: RatioSpread) => `${name}: median ${r.median}, IQR ${r.p25}-${r.p75} (${r.iqr}); pairs ${r.pairs.join(', ')}`;
    console.log(`throughput, ${plan.runs} concurrent ${plan.steps}-step runs, ${plan.repeats} alternating bursts per side`);
    for (const side of sides) {
      const t = result[side];
      const threads = t.workerThreadCpuMsPerStep;
      console.log(
        `  ${side.padEnd(12)} steps/s ${t.stepsPerSecond} (median burst), worker CPU ms/step ${t.workerCpuMsPerStep} ` +
          `(main ${threads.main}, workflow thread ${threads.workflowThread}, core ${threads.core}, rest ${threads.rest}), RSS peak ${t.workerRssPeakMb} MB`,
      );
    }
    console.log(`  ${spread('sagent ÷ plain, steps/s', result.pairedRatios.stepsPerSecond)}`);
    console.log(`  ${spread('sagent ÷ plain, worker CPU ms/step', result.pairedRatios.workerCpuMsPerStep)}`);
  });
}

if (require.main === module) runMain(main);
