/**
 * The peer's worker process: @temporalio/ai-sdk's `AiSdkPlugin` with the Anthropic provider, the agent of
 * `./workflows.js` and the tool activities of `./activities.js`. Prints one JSON line `{"ready":true,...}` on
 * stdout once it polls; stops when its stdin closes, or on SIGINT/SIGTERM (the SDK's default shutdown signals).
 *
 * Settings (env): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default "default"), PEER_TASK_QUEUE,
 * PEER_MODEL_URL (the scripted model server), PEER_SERVICES_URL (the demo services).
 */
const { DefaultLogger, NativeConnection, Runtime, Worker } = require('@temporalio/worker');
const { AiSdkPlugin } = require('@temporalio/ai-sdk');
const { createActivities } = require('./activities');
const { benchAnthropic } = require('./provider');

function setting(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

async function run() {
  const address = setting('TEMPORAL_ADDRESS');
  const namespace = setting('TEMPORAL_NAMESPACE', 'default');
  const taskQueue = setting('PEER_TASK_QUEUE');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await Worker.create({
      plugins: [new AiSdkPlugin({ modelProvider: benchAnthropic(setting('PEER_MODEL_URL')) })],
      connection,
      namespace,
      taskQueue,
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities(setting('PEER_SERVICES_URL')),
    });
    const running = worker.run();
    // The benchmark holds this pipe open: when it ends (the benchmark exited, even by SIGKILL), so does the worker.
    process.stdin.once('end', () => worker.shutdown()).resume();
    console.log(JSON.stringify({ ready: true, pid: process.pid, node: process.version, taskQueue }));
    await running;
  } finally {
    await connection.close();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
