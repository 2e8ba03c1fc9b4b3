/**
 * The benchmark's sagent worker as a process of its own (spawned by `bench/stack.ts`), so its CPU and memory
 * can be read alone: `agentSaga` and the baselines in one bundle (`./workflows`), sagent's activities and the
 * baselines' side by side. Prints one JSON line `{"ready":true,...}` on stdout once it polls; stops when its
 * stdin closes or on SIGINT/SIGTERM.
 *
 * Settings (env): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, BENCH_TASK_QUEUE, BENCH_MODEL_URL, BENCH_SERVICES_URL;
 * BENCH_WORKFLOW_BUNDLE the prebuilt workflow bundle's file (else it bundles `./workflows` itself);
 * BENCH_CONTEXT_CACHE=off makes every model call read its context by query (the fallback path, measured alone);
 * BENCH_MAX_CACHED_WORKFLOWS the worker's sticky cache size (else sagent's default);
 * BENCH_HEAP_SNAPSHOT_DIR: each SIGUSR2 writes heap snapshots of every thread into its `<pid>` folder there
 * (`snapshot-<n>-*`, then `snapshot-<n>.done`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { createDemoWorker } from '../src/demo/worker';
import { createAnthropicClient } from '../src/models/anthropic';
import { connectWorkerConnection } from '../src/temporal/connection';
import { sagentBundleOptions } from '../src/worker';
import { createBenchActivities } from './activities';
import { HEAP_SNAPSHOT_SIGNAL, writeHeapSnapshots } from './heap-snapshots';

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function run(): Promise<void> {
  const address = setting('TEMPORAL_ADDRESS');
  const namespace = setting('TEMPORAL_NAMESPACE');
  const taskQueue = setting('BENCH_TASK_QUEUE');
  const servicesUrl = setting('BENCH_SERVICES_URL');
  const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR ? path.join(process.env.BENCH_HEAP_SNAPSHOT_DIR, String(process.pid)) : undefined;
  // The SDK stops the worker on SIGUSR2 too; with snapshots asked for, that signal takes them instead.
  const shutdownSignals = snapshotDir ? (['SIGINT', 'SIGTERM', 'SIGQUIT'] as const) : undefined;
  Runtime.install({ logger: new DefaultLogger('ERROR'), ...(shutdownSignals ? { shutdownSignals: [...shutdownSignals] } : {}) });
  if (snapshotDir) {
    let taken = 0;
    process.on(HEAP_SNAPSHOT_SIGNAL, () => {
      const label = `snapshot-${++taken}`;
      void writeHeapSnapshots(snapshotDir, label)
        .then((files) => fs.writeFileSync(path.join(snapshotDir, `${label}.done`), files.join('\n')))
        .catch((err) => console.error('heap snapshot failed', err));
    });
  }
  const connection = await connectWorkerConnection({ address, namespace, external: true });
  // The benchmark bundles once and hands over the file, as a deployment ships a prebuilt bundle: bundling here would
  // leave the bundler's memory in the worker's RSS.
  const prebuilt = process.env.BENCH_WORKFLOW_BUNDLE;
  const bundle = prebuilt
    ? { codePath: prebuilt }
    : await bundleWorkflowCode({
        ...sagentBundleOptions(require.resolve('./workflows')),
        logger: new DefaultLogger('ERROR'),
      });
  const anthropic = createAnthropicClient({ apiKey: 'bench', baseURL: setting('BENCH_MODEL_URL') });
  const worker = await createDemoWorker({
    connection,
    namespace,
    taskQueue,
    anthropic,
    servicesUrl,
    workflowBundle: bundle,
    ...(process.env.BENCH_CONTEXT_CACHE === 'off' ? { contextCache: false as const } : {}),
    // sagent's plugin adds its activities next to the baselines'.
    overrides: {
      activities: createBenchActivities({ anthropic, servicesUrl }),
      ...(process.env.BENCH_MAX_CACHED_WORKFLOWS ? { maxCachedWorkflows: Number(process.env.BENCH_MAX_CACHED_WORKFLOWS) } : {}),
    },
  });
  const running = worker.run();
  // The benchmark holds this pipe open: when it ends (the benchmark exited, even by SIGKILL), so does the worker.
  process.stdin.once('end', () => worker.shutdown()).resume();
  console.log(JSON.stringify({ ready: true, pid: process.pid, node: process.version, taskQueue }));
  await running;
  await connection.close();
  // Ends at once, so the bench never waits for its SIGKILL (kept-alive sockets, the open stdin) and Node writes its
  // --cpu-prof files.
  process.exit(0);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
