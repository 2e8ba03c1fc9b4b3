/**
 * Replays one history of the peer's agent with the peer's own SDK and prints the times as one JSON line:
 * `{"samplesMs":[...]}`. The bundle is built once, before the timed replays, as the benchmark does for sagent.
 *
 * Usage: node replay.js <history.json> <workflowId> <repeats>
 */
const fs = require('node:fs');
const { bundleWorkflowCode, DefaultLogger, Runtime, Worker } = require('@temporalio/worker');
const { AiSdkPlugin } = require('@temporalio/ai-sdk');
const { benchAnthropic } = require('./provider');

async function run() {
  const [file, workflowId, repeatsArg] = process.argv.slice(2);
  if (!file || !workflowId) throw new Error('usage: node replay.js <history.json> <workflowId> <repeats>');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const history = JSON.parse(fs.readFileSync(file, 'utf8'));
  // Replay runs no activity; the plugin is there for what it does to the bundle.
  const plugins = [new AiSdkPlugin({ modelProvider: benchAnthropic('http://127.0.0.1:9') })];
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), plugins, logger: new DefaultLogger('ERROR') });
  const samplesMs = [];
  for (let repeat = 0; repeat < Number(repeatsArg ?? 1); repeat++) {
    const started = performance.now();
    await Worker.runReplayHistory({ workflowBundle, plugins }, history, workflowId);
    samplesMs.push(performance.now() - started);
  }
  console.log(JSON.stringify({ samplesMs }));
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
