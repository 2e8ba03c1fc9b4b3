/**
 * One stack for every measurement: a Temporal dev server of its own (free ports, throwaway database), the
 * scripted model server, the demo services on an in-memory database, and one in-process worker whose
 * bundle holds `agentSaga` and the baselines, with sagent's activities and the baselines' side by side.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startModelServer, type ModelServer } from '../src/dev/model-server';
import { ensureDevServer, type DevServer } from '../src/dev/temporal';
import { connectClient, type ConnectedTemporal } from '../src/temporal/connection';
import { createAnthropicClient } from '../src/models/anthropic';
import { startServices, type RunningServices } from '../src/demo/services/server';
import { DEFAULT_NAMESPACE } from '../src/shared/constants';
import type { AgentRunInput } from '../src/shared/contracts';
import { createDemoWorker } from '../src/demo/worker';
import { createBenchActivities } from './activities';
import { benchScenario } from './workload';
import type { BaselineInput } from './workflows';
import { freePorts } from '../src/dev/ports';

export interface BenchStack {
  client: Client;
  taskQueue: string;
  model: ModelServer;
  bundle: WorkflowBundleWithSourceMap;
  temporalAddress: string;
  /** The directory of the dev server's database. */
  dbDir: string;
  startSagent(workflowId: string, input: AgentRunInput): Promise<WorkflowHandleWithFirstExecutionRunId>;
  startBaseline(workflow: 'plainLoop' | 'naiveLoop', workflowId: string, input: BaselineInput): Promise<WorkflowHandleWithFirstExecutionRunId>;
  stop(): Promise<void>;
}

const TASK_QUEUE = 'sagent-bench';

export interface StackOptions {
  /** Where the dev server's throwaway database goes. @default /dev/shm when it exists, else the OS temp dir */
  dbDir?: string;
}

export async function startStack(log: (line: string) => void, options: StackOptions = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await fs.mkdtemp(path.join(options.dbDir ?? (await defaultDbDir()), 'sagent-bench-'));
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => log(`cleanup failed: ${String(err)}`));
  };
  try {
    const [port, uiPort] = await freePorts(2);
    const devServer: DevServer = await ensureDevServer({
      port,
      uiPort,
      stateDir: dir,
      dbFile: path.join(dir, 'temporal.db'),
      logFile: path.join(dir, 'temporal.log'),
      startTimeoutMs: 60_000,
    });
    cleanups.push(() => devServer.stop());
    if (!devServer.started) throw new Error(`a Temporal server already answered on ${devServer.address}; the benchmark needs its own`);
    log(`temporal dev server at ${devServer.address}, database in ${dir}`);

    const temporal: ConnectedTemporal = await connectClient({ config: { address: devServer.address, namespace: DEFAULT_NAMESPACE, external: true } });
    cleanups.push(() => temporal.close());
    const nativeConnection: NativeConnection = await temporal.connectWorkerConnection();
    cleanups.push(() => nativeConnection.close());

    const model = await startModelServer({ scenarios: [benchScenario] });
    cleanups.push(() => model.close());
    const services: RunningServices = await startServices({ port: 0, dataDir: 'memory://' });
    cleanups.push(() => services.close());

    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('ERROR') });
    const anthropic = createAnthropicClient({ apiKey: 'bench', baseURL: model.url });
    const worker: Worker = await createDemoWorker({
      connection: nativeConnection,
      namespace: DEFAULT_NAMESPACE,
      taskQueue: TASK_QUEUE,
      anthropic,
      servicesUrl: services.url,
      workflowBundle: bundle,
      // sagent's plugin adds its activities next to the baselines'.
      overrides: { activities: createBenchActivities({ anthropic, servicesUrl: services.url }) },
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    return {
      client: temporal.client,
      taskQueue: TASK_QUEUE,
      model,
      bundle,
      temporalAddress: devServer.address,
      dbDir: dir,
      startSagent: (workflowId, input) => temporal.client.workflow.start('agentSaga', { taskQueue: TASK_QUEUE, workflowId, args: [input] }),
      startBaseline: (workflow, workflowId, input) => temporal.client.workflow.start(workflow, { taskQueue: TASK_QUEUE, workflowId, args: [input] }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A RAM-backed directory when there is one: on a VM disk every fsync of the dev server's SQLite costs
 * milliseconds, which would swamp the cost of the workflows under measurement.
 */
async function defaultDbDir(): Promise<string> {
  try {
    await fs.access('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}
