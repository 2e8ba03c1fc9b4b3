/**
 * A demo worker as its own process, for the fault trials: killed with SIGKILL at any moment, as a machine dies.
 * Everything comes through the environment; prints `ready` once it polls its task queue.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createAnthropicClient } from '../src/index';
import { createDemoWorker } from '../src/demo/worker';

import { READY_LINE } from './ready';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the trial runner passes it)`);
  return value;
}

async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: required('CHAOS_TEMPORAL_ADDRESS') });
  const worker = await createDemoWorker({
    connection,
    namespace: 'default',
    taskQueue: required('CHAOS_TASK_QUEUE'),
    anthropic: createAnthropicClient({ apiKey: 'chaos', baseURL: required('CHAOS_MODEL_URL') }),
    servicesUrl: required('CHAOS_SERVICES_URL'),
    workflowBundle: { codePath: required('CHAOS_WORKFLOW_BUNDLE') },
    modelTimeouts: { firstByteMs: Number(required('CHAOS_FIRST_BYTE_MS')), idleMs: Number(required('CHAOS_IDLE_MS')) },
  });
  const running = worker.run();
  console.log(READY_LINE);
  process.once('SIGTERM', () => worker.shutdown());
  await running;
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
