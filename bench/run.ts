/**
 * `npm run bench [-- --quick]`: starts its own Temporal dev server, model server, services and worker
 * processes (sagent's, the baselines', the peer's), takes every measurement next to its baseline and the
 * peer, prints a table and writes `bench/results/latest.json`.
 * Nothing here asserts on time: the figures are for reading (see BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../src/dev/temporal';
import { measureHistory, withLongSteps, type HistoryPlan, type HistoryResult } from './history';
import { measureOverhead, type OverheadPlan, type OverheadResult } from './overhead';
import { measureReplay, type ReplayPlan, type ReplayResult } from './replay';
import { startStack } from './stack';
import { measureThroughput, type ThroughputPlan, type ThroughputResult } from './throughput';
import { FULL_TOKEN_PLAN, measureTokens, QUICK_TOKEN_PLAN, type TokenPlan, type TokenResult } from './tokens';
import { renderTable } from './table';

export interface BenchPlan {
  overhead: OverheadPlan;
  throughput: ThroughputPlan;
  tokens: TokenPlan;
  replay: ReplayPlan;
  history: HistoryPlan;
}

/** Sized for a 2-core machine: the full plan takes a few minutes. */
const FULL: BenchPlan = {
  overhead: { steps: 40, repeats: 11 },
  // Seven bursts a side at least, so the ratio's interquartile range says how far one run's figure can be trusted.
  throughput: { runs: 100, steps: 10, repeats: 7 },
  tokens: FULL_TOKEN_PLAN,
  replay: { steps: 200, repeats: 9 },
  history: { steps: [10, 30, 100, 300], longRunSteps: 10_000 },
};

const QUICK: BenchPlan = {
  overhead: { steps: 10, repeats: 3 },
  throughput: { runs: 20, steps: 5, repeats: 2 },
  tokens: QUICK_TOKEN_PLAN,
  replay: { steps: 50, repeats: 3 },
  history: { steps: [10, 30, 100], longRunSteps: 300 },
};

export interface BenchResults {
  mode: 'full' | 'quick';
  environment: Record<string, string | number>;
  plan: BenchPlan;
  durationSeconds: number;
  overhead: OverheadResult;
  history: HistoryResult;
  throughput: ThroughputResult;
  tokens: TokenResult;
  replay: ReplayResult;
}

async function run(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const plan = withLongSteps(quick ? QUICK : FULL, process.argv);
  const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const began = performance.now();
  const loadAtStart = Number(os.loadavg()[0].toFixed(2));
  const dbDirFlag = process.argv.indexOf('--db-dir');
  const stack = await startStack(log, dbDirFlag > 0 ? { dbDir: process.argv[dbDirFlag + 1] } : {});
  // Ctrl-C still stops the dev server this run started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  log(`stack up after ${Math.round(performance.now() - began)} ms`);
  let results: BenchResults;
  try {
    // History runs last: the naive loop's huge histories would otherwise sit in the server's database
    // while the timed measurements run.
    const overhead = await measureOverhead(stack, plan.overhead, log);
    stack.model.requests.length = 0;
    const throughput = await measureThroughput(stack, plan.throughput, log);
    stack.model.requests.length = 0;
    const tokens = await measureTokens(stack, plan.tokens, log);
    stack.model.requests.length = 0;
    const replay = await measureReplay(stack, plan.replay, log);
    stack.model.requests.length = 0;
    const history = await measureHistory(stack, plan.history, log);
    stack.model.requests.length = 0;
    results = {
      mode: quick ? 'quick' : 'full',
      environment: {
        ...(await environment(stack.temporalAddress)),
        loadAverage1mAtStart: loadAtStart,
        temporalDbDir: stack.dbDir,
        peer: Object.entries(stack.peerVersions)
          .map(([name, version]) => `${name} ${version}`)
          .join(', '),
        workers: Object.values(stack.workers)
          .map((worker) => `${worker.name} (node ${worker.node})`)
          .join(', '),
      },
      plan,
      durationSeconds: Math.round((performance.now() - began) / 1000),
      overhead,
      history,
      throughput,
      tokens,
      replay,
    };
  } finally {
    await stack.stop();
  }
  const file = path.join(__dirname, 'results', 'latest.json');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderTable(results));
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

async function environment(temporalAddress: string): Promise<Record<string, string | number>> {
  const cli = await findTemporalCli().catch(() => null);
  let temporalCli = 'unknown';
  try {
    if (cli) temporalCli = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // The version is informative only.
  }
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    temporalCli,
    temporalAddress,
    // Other processes on the machine skew every timing; the load average says how busy it was.
    loadAverage1m: Number(os.loadavg()[0].toFixed(2)),
  };
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
