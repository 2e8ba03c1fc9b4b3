/**
 * How each turn's context reaches the model call, on the real dev server: through the worker's sink and cache when
 * the workflow and the activity share a worker, through the query when they do not. Both paths send Claude the same
 * requests, and neither puts a context into the history.
 */
import { Worker } from '@temporalio/worker';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import type { Scenario } from '../../src/dev/scenario';
import { startServices, type RunningServices } from '../../src/demo/services/server';
import { demoAgents } from '../../src/demo/agents/implementations';
import { DEMO_WORKFLOWS_PATH } from '../../src/demo/worker';
import { createAnthropicClient } from '../../src/models/anthropic';
import type { RunOutcome } from '../../src/shared/contracts';
import { SAGENT_PRELOAD_MODULES, SagentPlugin, type SagentPluginOptions } from '../../src/worker';
import { installQuietRuntime, workflowBundle } from '../helpers/harness';
import { testConnection, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

const CITIES = ['Lisbon', 'Porto', 'Faro', 'Braga'];
const scenario: Scenario = {
  name: 'weather-tour',
  match: { runIdPrefix: 'tour-' },
  turns: [
    ...CITIES.map((city) => ({
      content: [
        { type: 'text' as const, text: `Checking ${city}.` },
        { type: 'tool_use' as const, name: 'get_weather', input: { city } },
      ],
    })),
    { content: [{ type: 'text' as const, text: 'Sunny everywhere.' }] },
  ],
};
const MODEL_CALLS = CITIES.length + 1;

let temporal: TestTemporal;
let model: ModelServer;
let services: RunningServices;

beforeAll(async () => {
  installQuietRuntime();
  temporal = await testConnection();
  model = await startModelServer({ scenarios: [scenario] });
  services = await startServices({ port: 0, dataDir: 'memory://' });
});
afterAll(async () => {
  await Promise.all([model.close(), services.close()]);
  await temporal.close();
});

function plugin(extra: Partial<SagentPluginOptions> = {}): SagentPlugin {
  return new SagentPlugin({
    // The travel agent alone: the runs here need no MCP servers.
    agents: demoAgents({ servicesUrl: services.url }).filter(({ agent }) => agent.name === 'travel'),
    anthropic: createAnthropicClient({ apiKey: 'test', baseURL: model.url }),
    ...extra,
  });
}

/** A worker on `taskQueue` that runs the shared workflow bundle with `sagent`'s plugin. */
async function bundledWorker(taskQueue: string, sagent: SagentPlugin, extra: { enableNonLocalActivities?: boolean } = {}): Promise<Worker> {
  return Worker.create({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    plugins: [sagent],
    ...extra,
  });
}

/** Runs `agentSaga` to its end on `workers`, all polling one fresh task queue. */
async function runOn(taskQueue: string, workflowId: string, workers: Worker[]): Promise<RunOutcome> {
  const handle = await temporal.client.workflow.start('agentSaga', { taskQueue, workflowId, args: [{ agent: 'travel', task: 'Weather in four cities' }] });
  const running = workers.map((worker) => worker.runUntil(handle.result()));
  await Promise.all(running);
  return (await handle.result()) as RunOutcome;
}

/** What Claude was sent for one run, turn by turn; tool-use ids are fresh in every run, so they are set aside. */
function requestsOf(workflowId: string): string[] {
  return model.requests
    .filter((request) => request.runId === workflowId)
    .map((request) => JSON.stringify((request.body as { messages: unknown }).messages).replace(/toolu_[A-Za-z0-9]+/g, 'toolu_…'));
}

/** No model call's input in the history holds a context: neither the model's words nor a tool's result. */
async function expectNoContextInHistory(workflowId: string): Promise<void> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const inputs = (history.events ?? [])
    .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel')
    .flatMap((event) => event.activityTaskScheduledEventAttributes?.input?.payloads ?? [])
    .map((payload) => Buffer.from(payload.data ?? []).toString('utf8'));
  expect(inputs).toHaveLength(MODEL_CALLS);
  for (const input of inputs) {
    expect(input).not.toContain('Checking');
    expect(input).not.toContain('temperatureC');
    expect(JSON.parse(input)).not.toHaveProperty('messages');
  }
}

describe('the context transport', () => {
  it('hands every turn over through the sink when the activity runs where the workflow ran, with no query', async () => {
    const taskQueue = uniqueTaskQueue('context-sink');
    const sagent = plugin();
    const worker = await bundledWorker(taskQueue, sagent);
    const workflowId = `tour-sink-${Date.now()}`;
    const outcome = await runOn(taskQueue, workflowId, [worker]);
    expect(outcome).toMatchObject({ status: 'completed', finalText: 'Sunny everywhere.' });
    expect(sagent.contexts!.stats()).toEqual({ hits: MODEL_CALLS, misses: 0, held: 0 });
    await expectNoContextInHistory(workflowId);
  });

  it('falls back to the query when the activity runs on another worker, and Claude is sent the same requests', async () => {
    const taskQueue = uniqueTaskQueue('context-query');
    // One worker runs the workflow only, another the activities only: the context is never on the activity's worker.
    const workflows = plugin();
    const activities = plugin();
    const workflowWorker = await bundledWorker(taskQueue, workflows, { enableNonLocalActivities: false });
    const activityWorker = await Worker.create({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, plugins: [activities] });
    const viaQuery = `tour-query-${Date.now()}`;
    const outcome = await runOn(taskQueue, viaQuery, [workflowWorker, activityWorker]);
    expect(outcome).toMatchObject({ status: 'completed', finalText: 'Sunny everywhere.' });
    expect(activities.contexts!.stats()).toMatchObject({ hits: 0, misses: MODEL_CALLS });
    await expectNoContextInHistory(viaQuery);

    const sinkQueue = uniqueTaskQueue('context-compare');
    const worker = await bundledWorker(sinkQueue, plugin());
    const viaSink = `tour-compare-${Date.now()}`;
    await runOn(sinkQueue, viaSink, [worker]);
    expect(requestsOf(viaQuery)).toHaveLength(MODEL_CALLS);
    expect(requestsOf(viaSink)).toEqual(requestsOf(viaQuery));
  });

  it('always queries with contextCache: false, and registers no sink', async () => {
    const taskQueue = uniqueTaskQueue('context-off');
    const sagent = plugin({ contextCache: false });
    expect(sagent.contexts).toBeUndefined();
    const worker = await bundledWorker(taskQueue, sagent);
    expect(worker.options.sinks?.sagentContext).toBeUndefined();
    const workflowId = `tour-off-${Date.now()}`;
    await expect(runOn(taskQueue, workflowId, [worker])).resolves.toMatchObject({ status: 'completed' });
    expect(requestsOf(workflowId)).toHaveLength(MODEL_CALLS);
  });
});

describe("the plugin's bundle", () => {
  it("preloads sagent's stateless libraries and the workflows file next to the worker's own, once each", () => {
    const configured = plugin().configureBundler({ workflowsPath: 'workflows.ts', preloadModules: ['my-lib', 'zod'] });
    // The worker's own first, in its order; then sagent's, without the one the worker already named; then the agents.
    expect(configured.preloadModules).toEqual(['my-lib', 'zod', ...SAGENT_PRELOAD_MODULES.filter((name) => name !== 'zod'), 'workflows.ts']);
    expect(configured.workflowsPath).toBe('workflows.ts');
  });

  it('leaves a stateful workflows file to each run when told to', () => {
    const configured = plugin({ shareWorkflows: false }).configureBundler({ workflowsPath: 'workflows.ts', preloadModules: ['my-lib'] });
    expect(configured.preloadModules).toEqual(['my-lib', ...SAGENT_PRELOAD_MODULES]);
  });

  it('bundles the workflows with them through Worker.create, and a run completes', async () => {
    const taskQueue = uniqueTaskQueue('context-preload');
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowsPath: DEMO_WORKFLOWS_PATH,
      plugins: [plugin()],
    });
    const workflowId = `tour-preload-${Date.now()}`;
    await expect(runOn(taskQueue, workflowId, [worker])).resolves.toMatchObject({ status: 'completed', finalText: 'Sunny everywhere.' });
  });
});
