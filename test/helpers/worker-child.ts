/**
 * The child's side of `worker-process.ts`: what every worker child takes from its parent through the environment
 * (the server, the namespace, the task queue, the scripted model, a prebuilt bundle), and its life: poll, print
 * {@link READY_LINE}, shut down on SIGTERM, exit 1 on any error.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createAnthropicClient } from '../../src/models/anthropic';
import { READY_LINE } from './worker-process';

/** An environment variable the parent test passes. */
export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the parent test passes it)`);
  return value;
}

/** What the parent passed, ready for a worker's options. */
export interface WorkerChildSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  anthropic: Anthropic;
  /** The parent's prebuilt workflow bundle (SAGENT_TEST_WORKFLOW_BUNDLE), when it made one. */
  workflowBundle?: { codePath: string };
}

/** Runs a worker child: `build` makes the worker from what the parent passed. */
export function runWorkerChild(build: (setup: WorkerChildSetup) => Promise<Worker>): void {
  const run = async () => {
    const connection = await NativeConnection.connect({ address: required('SAGENT_TEST_TEMPORAL_ADDRESS') });
    const bundlePath = process.env.SAGENT_TEST_WORKFLOW_BUNDLE;
    const worker = await build({
      connection,
      namespace: required('SAGENT_TEST_TEMPORAL_NAMESPACE'),
      taskQueue: required('SAGENT_TASK_QUEUE'),
      anthropic: createAnthropicClient({ apiKey: 'test', baseURL: required('ANTHROPIC_BASE_URL') }),
      ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    });
    const running = worker.run();
    console.log(READY_LINE);
    process.once('SIGTERM', () => worker.shutdown());
    await running;
    await connection.close();
  };
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
