/**
 * A sagent worker as its own process, so a test can SIGKILL it mid-step. Started by `worker-process.ts`;
 * everything it needs comes through the environment. Prints `ready` once it polls its task queue.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createAnthropicClient } from '../../src/models/anthropic';
import { createDemoWorker } from '../../src/demo/worker';
import { READY_LINE } from './worker-process';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the parent test passes it)`);
  return value;
}

async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: required('SAGENT_TEST_TEMPORAL_ADDRESS') });
  const bundlePath = process.env.SAGENT_TEST_WORKFLOW_BUNDLE;
  const worker = await createDemoWorker({
    connection,
    namespace: required('SAGENT_TEST_TEMPORAL_NAMESPACE'),
    taskQueue: required('SAGENT_TASK_QUEUE'),
    anthropic: createAnthropicClient({ apiKey: 'test', baseURL: required('ANTHROPIC_BASE_URL') }),
    servicesUrl: required('SAGENT_SERVICES_URL'),
    // The notes agent's MCP servers, as the parent test launches them (JSON of NotesServersOptions).
    ...(process.env.SAGENT_TEST_NOTES_SERVERS ? { notes: JSON.parse(process.env.SAGENT_TEST_NOTES_SERVERS) } : {}),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    // The fault trials (chaos/) shorten the model call's deadlines to time its fail-over.
    ...(process.env.SAGENT_TEST_MODEL_TIMEOUTS ? { modelTimeouts: JSON.parse(process.env.SAGENT_TEST_MODEL_TIMEOUTS) } : {}),
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
