/**
 * One sagent stack for an integration test file: the scripted model server, the demo services on an
 * in-memory database, and a worker on its own task queue, all against the test run's Temporal server.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Runtime, type Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { Client, WorkflowIdReusePolicy } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createAnthropicClient } from '../../src/models/anthropic';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import type { Scenario } from '../../src/dev/scenario';
import { startServices } from '../../src/demo/services/server';
import { createDemoWorker, type DemoWorkerOptions } from '../../src/demo/worker';
import type { SagentMetrics } from '../../src/observability/metrics';
import type { AccessOptions } from '../../src/activities/access';
import type { NotesServersOptions } from '../../src/demo/agents/notes/servers';
import { getStateQuery, type AgentRunInput, type RunOutcome, type RunState } from '../../src/shared/contracts';
import { testConnection, uniqueTaskQueue, type TestTemporal } from './temporal';
import { demoBundle } from './demo-bundle';

export interface Harness {
  temporal: TestTemporal;
  client: Client;
  taskQueue: string;
  model: ModelServer;
  services: { url: string; close(): Promise<void> };
  worker: Worker;
  /** Starts a run of the `agentSaga` workflow. */
  start(workflowId: string, input: AgentRunInput): Promise<WorkflowHandle>;
  /** Polls the run's state until `until` holds (or throws after `timeoutMs`). */
  waitFor(handle: WorkflowHandle, until: (state: RunState) => boolean, timeoutMs?: number): Promise<RunState>;
  /** Restarts the worker (a crash-free restart: the old one shuts down first). */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

let bundle: Promise<{ code: string }> | undefined;

/** The demo's workflow bundle: the one the test run built, read once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= demoBundle();
  return bundle;
}

/** `dataConverter` (e.g. `codecDataConverter(env)`) turns the codec on for the harness's client and worker. */
/** `notes` says where the notes agent's MCP servers are; by default a memory graph in a fresh temporary file. */
export async function startHarness(
  name: string,
  scenarios: Scenario[],
  options: {
    servicesUrl?: string;
    dataConverter?: DataConverter;
    notes?: NotesServersOptions;
    metrics?: SagentMetrics;
    access?: AccessOptions;
    /** The worker's `auto` verdict source, and the agents it judges. */
    auto?: Pick<DemoWorkerOptions, 'autoVerdict' | 'autoVerdictAgents' | 'autoVerdictTimeoutMs'>;
  } = {},
): Promise<Harness> {
  installQuietRuntime();
  const temporal = await testConnection();
  const { dataConverter } = options;
  const client = dataConverter ? new Client({ connection: temporal.connection, namespace: temporal.namespace, dataConverter }) : temporal.client;
  const taskQueue = uniqueTaskQueue(name);
  const model = await startModelServer({ scenarios });
  const services = options.servicesUrl ? { url: options.servicesUrl, close: async () => undefined } : await startServices({ port: 0, dataDir: 'memory://' });
  const makeWorker = async () =>
    createDemoWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      anthropic: createAnthropicClient({ apiKey: 'test', baseURL: model.url }),
      servicesUrl: services.url,
      workflowBundle: await workflowBundle(),
      dataConverter,
      metrics: options.metrics,
      ...(options.access ? { access: options.access } : {}),
      ...options.auto,
      notes: options.notes ?? { memoryFile: path.join(os.tmpdir(), `sagent-memory-${randomUUID()}.jsonl`) },
    });
  let worker = await makeWorker();
  let running = worker.run();

  const harness: Harness = {
    temporal,
    client,
    taskQueue,
    model,
    services,
    get worker() {
      return worker;
    },
    start: (workflowId, input) =>
      client.workflow.start('agentSaga', {
        taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    async waitFor(handle, until, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: RunState | undefined;
      while (Date.now() < deadline) {
        try {
          last = await handle.query(getStateQuery);
          if (until(last)) return last;
        } catch {
          // The first workflow task may not have run yet.
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      throw new Error(`timed out waiting; last status ${last?.status} (${last?.statusDetail ?? ''})`);
    },
    async restartWorker() {
      worker.shutdown();
      await running;
      worker = await makeWorker();
      running = worker.run();
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await Promise.all([model.close(), services.close()]);
      await temporal.close();
    },
  };
  return harness;
}

/** The outcome of a run, for tests that wait for the end. */
export async function outcomeOf(handle: WorkflowHandle): Promise<RunOutcome> {
  return (await handle.result()) as RunOutcome;
}

let runtimeInstalled = false;

/** Keeps the worker's logs to warnings, so test output stays readable. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: quietLogger() });
  } catch {
    // Already installed by another harness in this process.
  }
}

function quietLogger() {
  const { DefaultLogger } = require('@temporalio/worker') as typeof import('@temporalio/worker');
  return new DefaultLogger('WARN');
}
