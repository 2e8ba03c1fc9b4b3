/**
 * `npm run bench:cluster [-- --runs 30 --steps 5 --repeats 3]`: sagent's throughput with 1, 2 and 3 worker processes,
 * on the dev server (one process, one history shard, SQLite) and on the cluster `npm run cluster` runs (Temporal on
 * PostgreSQL, 4 history shards), each started here in a scratch directory on free ports. Each burst starts `runs`
 * runs of `steps` tool steps at once (the `weather` workload: the loop itself) and waits for all; figures are the
 * median over `repeats` bursts, with the lowest and highest. Everything (servers, PostgreSQL, workers, the model
 * server, the services) shares this machine's cores, so more workers cannot buy more than the cores left over.
 * Prints a table and writes bench/results/cluster.json.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { startCluster } from '../deploy/cluster/cluster';
import { HISTORY_SHARDS, TEMPORAL_VERSION } from '../deploy/cluster/settings';
import { startServices } from '../src/demo/services/server';
import { startModelServer } from '../src/dev/model-server';
import { DEFAULT_NAMESPACE } from '../src/shared/constants';
import { connectClient } from '../src/temporal/connection';
import { sagentBundleOptions } from '../src/worker';
import { scratchRoot, startScratchDevServer } from './dev-server';
import { spawnWorker } from './stack';
import { median, percentile, resultWithin, round, tag } from './stats';
import { benchScenario, benchWorkflowId, sagentInput } from './workload';

interface Plan {
  runs: number;
  steps: number;
  repeats: number;
  workers: number[];
}

interface Figures {
  server: 'dev server' | 'cluster';
  workers: number;
  /** Steps per second: median, lowest, highest over the bursts. */
  stepsPerSecond: { median: number; min: number; max: number };
  /** Each run's start-to-result time, median over the bursts of each burst's p50 and p99. */
  p50LatencyMs: number;
  p99LatencyMs: number;
  bursts: number[];
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

async function main(): Promise<void> {
  const plan: Plan = { runs: option('runs', 30), steps: option('steps', 5), repeats: option('repeats', 3), workers: [1, 2, 3] };
  const log = (line: string) => console.error(`[bench:cluster ${new Date().toISOString().slice(11, 19)}] ${line}`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await fs.mkdtemp(path.join(await scratchRoot(), 'sagent-bench-cluster-'));
  // PostgreSQL runs as its own user when the bench runs as root: it must reach into the scratch directory.
  await fs.chmod(dir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => fs.rm(dir, { recursive: true, force: true })];
  const results: Figures[] = [];
  try {
    const model = await startModelServer({ scenarios: [benchScenario] });
    cleanups.push(() => model.close());
    const services = await startServices({ port: 0, dataDir: 'memory://' });
    cleanups.push(() => services.close());
    const bundle = await bundleWorkflowCode({
      ...sagentBundleOptions(require.resolve('./workflows')),
      logger: new DefaultLogger('ERROR'),
    });
    const bundleFile = path.join(dir, 'workflow-bundle.js');
    await fs.writeFile(bundleFile, bundle.code);

    for (const server of ['dev server', 'cluster'] as const) {
      const serverDir = path.join(dir, server === 'cluster' ? 'cluster' : 'dev');
      await fs.mkdir(serverDir, { recursive: true });
      const running =
        server === 'cluster'
          ? await startCluster({ stateDir: serverDir, ui: false, progress: (line) => log(`cluster: ${line}`) }).then((c) => ({
              address: c.address,
              stop: () => c.stop(),
            }))
          : await startScratchDevServer(serverDir);
      log(`${server} at ${running.address}`);
      const temporal = await connectClient({ config: { address: running.address, namespace: DEFAULT_NAMESPACE, external: true } });
      try {
        for (const count of plan.workers) {
          const taskQueue = `bench-cluster-${tag()}`;
          const stops: Array<() => Promise<unknown>> = [];
          const env = {
            TEMPORAL_ADDRESS: running.address,
            TEMPORAL_NAMESPACE: DEFAULT_NAMESPACE,
            BENCH_TASK_QUEUE: taskQueue,
            BENCH_MODEL_URL: model.url,
            BENCH_SERVICES_URL: services.url,
            BENCH_WORKFLOW_BUNDLE: bundleFile,
          };
          for (let i = 0; i < count; i++)
            await spawnWorker(`worker-${i + 1}`, process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker-main.ts')], env, dir, log, stops);
          try {
            // One unmeasured burst: the first runs on a fresh task queue and fresh workers pay for warm-up.
            await burst(temporal.client, taskQueue, { ...plan, runs: Math.min(plan.runs, 10) });
            const bursts: Array<{ stepsPerSecond: number; p50: number; p99: number }> = [];
            for (let repeat = 0; repeat < plan.repeats; repeat++) bursts.push(await burst(temporal.client, taskQueue, plan));
            const rates = bursts.map((b) => b.stepsPerSecond);
            const figures: Figures = {
              server,
              workers: count,
              stepsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
              p50LatencyMs: median(bursts.map((b) => b.p50)),
              p99LatencyMs: median(bursts.map((b) => b.p99)),
              bursts: rates,
            };
            results.push(figures);
            log(
              `${server}, ${count} worker(s): ${figures.stepsPerSecond.median} steps/s (${figures.stepsPerSecond.min}-${figures.stepsPerSecond.max}), p50 ${figures.p50LatencyMs} ms`,
            );
          } finally {
            for (const stop of stops.reverse()) await stop();
          }
        }
      } finally {
        await temporal.close();
        await running.stop();
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => log(`cleanup failed: ${String(err)}`));
  }
  console.log(render(plan, results));
  const out = path.join(__dirname, 'results', 'cluster.json');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    `${JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, temporal: TEMPORAL_VERSION, shards: HISTORY_SHARDS, plan, results }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), out)}`);
}

/** Starts `runs` runs at once on `taskQueue` and waits for all. */
async function burst(client: Client, taskQueue: string, plan: Plan): Promise<{ stepsPerSecond: number; p50: number; p99: number }> {
  const label = tag();
  const began = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: plan.runs }, async (_, index) => {
      const started = performance.now();
      const handle = await client.workflow.start('agentSaga', {
        taskQueue,
        workflowId: benchWorkflowId('weather', plan.steps, `cluster-${label}-${index}`),
        args: [sagentInput('weather', plan.steps)],
      });
      const outcome = await resultWithin<{ status?: string }>(handle, 5 * 60_000);
      if (outcome.status !== 'completed') throw new Error(`${handle.workflowId} ended ${outcome.status}`);
      return performance.now() - started;
    }),
  );
  const wallMs = performance.now() - began;
  return { stepsPerSecond: round((plan.runs * plan.steps * 1000) / wallMs, 1), p50: round(median(latencies)), p99: round(percentile(latencies, 99)) };
}

function render(plan: Plan, results: Figures[]): string {
  const lines = [
    `${plan.runs} concurrent runs of ${plan.steps} steps per burst, ${plan.repeats} bursts per row; ${os.cpus().length} cores shared by everything.`,
    '',
    '| server | workers | steps/s, median (lowest-highest) | p50 run latency ms | p99 run latency ms |',
    '|---|---|---|---|---|',
  ];
  for (const r of results) {
    const name = r.server === 'cluster' ? `cluster (Temporal ${TEMPORAL_VERSION}, PostgreSQL, ${HISTORY_SHARDS} shards)` : 'dev server (1 shard, SQLite)';
    lines.push(
      `| ${name} | ${r.workers} | ${r.stepsPerSecond.median} (${r.stepsPerSecond.min}-${r.stepsPerSecond.max}) | ${r.p50LatencyMs} | ${r.p99LatencyMs} |`,
    );
  }
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
