/**
 * The worker: wires the real Anthropic client, the agents' tool implementations and the Temporal
 * connection into the activities, and runs the workflow bundle.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { AGENTS } from './agents';
import { createToolImplementations } from './agents/implementations';
import { resolveConnection, connectWorkerConnection } from './dev/temporal';
import { createAnthropicClient } from './models/anthropic';
import { installRuntime, workerTelemetry } from './observability';
import { DEFAULT_TASK_QUEUE } from './shared/constants';

export interface SagentWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** @default process.env.SAGENT_TASK_QUEUE ?? 'sagent' */
  taskQueue?: string;
  /** @default a client from ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL */
  anthropic?: Anthropic;
  /** Where the demo services run. @default process.env.SAGENT_SERVICES_URL ?? 'http://127.0.0.1:4500' */
  servicesUrl?: string;
  /** @default process.env.SAGENT_APPROVAL_WEBHOOK */
  approvalWebhookUrl?: string;
  /** Prebuilt workflow bundle (tests and benchmarks build it once). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (interceptors, concurrency). */
  overrides?: Partial<WorkerOptions>;
}

export async function createSagentWorker(options: SagentWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    anthropic: options.anthropic ?? createAnthropicClient(),
    agents: AGENTS,
    tools: createToolImplementations({ servicesUrl: options.servicesUrl ?? process.env.SAGENT_SERVICES_URL ?? 'http://127.0.0.1:4500' }),
    webhookUrl: options.approvalWebhookUrl ?? process.env.SAGENT_APPROVAL_WEBHOOK,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: options.taskQueue ?? process.env.SAGENT_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities,
    ...options.overrides,
  });
}

async function run(): Promise<void> {
  installRuntime();
  const config = resolveConnection();
  const connection = await connectWorkerConnection(config);
  const worker = await createSagentWorker({ connection, namespace: config.namespace, overrides: workerTelemetry() });
  console.log(`sagent worker on ${config.address} (namespace ${config.namespace}, task queue ${worker.options.taskQueue})`);
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
