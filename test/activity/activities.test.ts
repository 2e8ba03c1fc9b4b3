/**
 * The activity tier: sagent's activities run in Temporal's MockActivityEnvironment, without a server, against the
 * real Anthropic SDK pointed at the scripted model server and the real demo services. What a worker would see:
 * the value returned, the failure's type and retry hint, the heartbeats, and a cancellation reported as one.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import { createActivities } from '../../src/activities';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import type { Scenario } from '../../src/dev/scenario';
import { travelAgent } from '../../src/demo/agents/travel/agent';
import { createTravelTools } from '../../src/demo/agents/travel/tools';
import { startServices, type RunningServices } from '../../src/demo/services/server';
import { createAnthropicClient } from '../../src/models/anthropic';
import { TOOL_FAILURE_TYPES, type ToolOutput } from '../../src/shared/activity-io';
import type { ModelTurn } from '../../src/shared/wire';
import { defineAgent, defineTool } from '../../src/tools/define';
import { ToolError, type ToolImplementations } from '../../src/tools/runtime';
import { runEffects } from '../helpers/services';

// Opening an in-memory PGlite runs initdb (seconds, many more on a loaded machine); the setup may take that long.
jest.setTimeout(180_000);

const text = (value: string) => ({ type: 'text' as const, text: value });
const scenarios: Scenario[] = [
  {
    name: 'answer',
    match: { runIdPrefix: 'answer-' },
    turns: [{ content: [text('Lisbon is sunny.'), { type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } }] }],
  },
  { name: 'rate-limited', match: { runIdPrefix: 'limited-' }, turns: [{ error: { status: 429, message: 'slow down', retryAfter: 2 } }] },
  { name: 'bad-request', match: { runIdPrefix: 'bad-' }, turns: [{ error: { status: 400, message: 'messages: invalid' } }] },
  { name: 'slow', match: { runIdPrefix: 'slow-' }, turns: [{ content: [text('At last.')], delayMs: 2500 }] },
];

/** A tool that waits until its call is cancelled, beating its heart meanwhile: a slow service. */
const waitTool = defineTool({ name: 'wait_forever', description: 'Waits', input: z.object({}), risk: 'irreversible' });
const waitingAgent = defineAgent({ name: 'waiting', description: 'Waits', system: 'Wait.', tools: [waitTool] });
const waitForever: ToolImplementations = {
  wait_forever: {
    run: (_input, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.heartbeat('waiting');
        ctx.signal.addEventListener('abort', () => reject(new ToolError('transient', 'network_error', 'aborted')));
      }),
  },
};

let model: ModelServer;
let services: RunningServices;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  [model, services] = await Promise.all([startModelServer({ scenarios }), startServices({ port: 0, dataDir: 'memory://' })]);
  activities = createActivities({
    anthropic: createAnthropicClient({ apiKey: 'test', baseURL: model.url }),
    agents: { travel: travelAgent, waiting: waitingAgent },
    tools: { travel: createTravelTools({ servicesUrl: services.url }), waiting: waitForever },
  });
});
afterAll(() => Promise.all([model?.close(), services?.close()]));

/** An activity environment for a run of `workflowId`, with its heartbeats collected. */
function environment(workflowId: string, attempt = 1) {
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: randomUUID() }, attempt, startToCloseTimeoutMs: 30_000 });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return { env, heartbeats };
}

// Each scenario scripts turn 1: the server plays the turn the request names.
const modelCall = (turn = 1) => ({
  agent: 'travel',
  model: 'claude-sonnet-4-6',
  maxTokens: 1024,
  turn,
  messages: [{ role: 'user' as const, content: 'Weather in Lisbon?' }],
});

/** What an activity threw, as a plain object of the fields the workflow reads. */
async function failureOf(promise: Promise<unknown>): Promise<{ name?: string; type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown }> {
  const err = (await promise.then(
    () => ({ name: 'resolved' }),
    (error: unknown) => error,
  )) as { name?: string; type?: string; nonRetryable?: boolean; nextRetryDelay?: unknown };
  return { name: err.name, type: err.type, nonRetryable: err.nonRetryable, nextRetryDelay: err.nextRetryDelay };
}

describe('callModel', () => {
  test('answers with the neutral turn and its usage; the request names the run and the turn', async () => {
    const workflowId = `answer-${randomUUID()}`;
    const turn = (await environment(workflowId).env.run(activities.callModel, modelCall(1))) as ModelTurn;
    expect(turn.content).toEqual([text('Lisbon is sunny.'), expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } })]);
    expect(turn.stop_reason).toBe('tool_use');
    // The prompt is counted, whether it was read uncached or written to the prompt cache.
    expect(turn.usage.input_tokens + turn.usage.cache_creation_input_tokens + turn.usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(model.requests.filter((request) => request.runId === workflowId).map((request) => [request.turn, request.status])).toEqual([[1, 200]]);
  });

  test('a 429 becomes a retryable RateLimit failure whose next retry delay is the retry-after; the SDK sends one request', async () => {
    const workflowId = `limited-${randomUUID()}`;
    expect(await failureOf(environment(workflowId).env.run(activities.callModel, modelCall()))).toEqual({
      name: 'ApplicationFailure',
      type: 'ModelInvocationError.RateLimit',
      nonRetryable: false,
      nextRetryDelay: 2000,
    });
    expect(model.requests.filter((request) => request.runId === workflowId)).toHaveLength(1);
  });

  test('a 400 becomes a non-retryable BadRequest failure', async () => {
    const failure = await failureOf(environment(`bad-${randomUUID()}`).env.run(activities.callModel, modelCall()));
    expect(failure).toMatchObject({ name: 'ApplicationFailure', type: 'ModelInvocationError.BadRequest', nonRetryable: true });
  });

  test('heartbeats with its turn while the model is slow to answer', async () => {
    const { env, heartbeats } = environment(`slow-${randomUUID()}`);
    const turn = (await env.run(activities.callModel, modelCall(1))) as ModelTurn;
    expect(turn.content).toEqual([text('At last.')]);
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(heartbeats).toContainEqual({ turn: 1 });
  });

  test('an agent the worker does not know fails the call, naming it', async () => {
    await expect(environment(`answer-${randomUUID()}`).env.run(activities.callModel, { ...modelCall(), agent: 'nobody' })).rejects.toThrow(
      'unknown agent "nobody"',
    );
  });
});

describe('runTool and compensate', () => {
  const hotel = { city: 'Lisbon', checkIn: '2026-07-01', checkOut: '2026-07-04', guest: 'Ana Silva' };

  test('a state-changing call runs once per effect id, whatever the attempts; its undo is idempotent', async () => {
    const workflowId = `tools-${randomUUID()}`;
    const effectId = `${workflowId}/effect-1`;
    const call = { agent: 'travel', tool: 'book_hotel', input: hotel, effectId };
    const first = (await environment(workflowId).env.run(activities.runTool, call)) as ToolOutput;
    const retried = (await environment(workflowId, 2).env.run(activities.runTool, call)) as ToolOutput;
    expect(JSON.parse(retried.content)).toEqual(JSON.parse(first.content));
    expect((await runEffects(services.url, workflowId)).map((effect) => [effect.key, effect.state])).toEqual([[effectId, 'active']]);

    const undo = { agent: 'travel', tool: 'book_hotel', input: hotel, effectId };
    await expect(environment(workflowId).env.run(activities.compensate, undo)).resolves.toBe('compensated');
    await expect(environment(workflowId, 2).env.run(activities.compensate, undo)).resolves.toMatch(/^(compensated|not_needed)$/);
    expect((await runEffects(services.url, workflowId)).map((effect) => [effect.key, effect.state])).toEqual([[effectId, 'undone']]);
  });

  test("a service's refusal becomes a non-retryable Rejected failure, and nothing is recorded", async () => {
    const workflowId = `tools-${randomUUID()}`;
    const charge = { amountCents: 41250, currency: 'EUR', card: '4000000000000002', description: 'Lisbon trip' };
    const failure = await failureOf(
      environment(workflowId).env.run(activities.runTool, { agent: 'travel', tool: 'charge_card', input: charge, effectId: `${workflowId}/effect-1` }),
    );
    expect(failure).toMatchObject({ name: 'ApplicationFailure', type: TOOL_FAILURE_TYPES.Rejected, nonRetryable: true });
    expect(await runEffects(services.url, workflowId)).toEqual([]);
  });

  test('a tool the worker has no implementation of is a non-retryable NotImplemented failure', async () => {
    const failure = await failureOf(
      environment('tools-missing').env.run(activities.runTool, { agent: 'travel', tool: 'teleport', input: {}, effectId: 'tools-missing/effect-1' }),
    );
    expect(failure).toMatchObject({ type: TOOL_FAILURE_TYPES.NotImplemented, nonRetryable: true });
  });

  test('a cancelled call aborts the tool and is reported as a cancellation, not as a tool failure', async () => {
    const { env, heartbeats } = environment(`cancel-${randomUUID()}`);
    const running = env.run(activities.runTool, { agent: 'waiting', tool: 'wait_forever', input: {}, effectId: 'cancel/effect-1' });
    while (heartbeats.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    env.cancel();
    expect((await failureOf(running)).name).toBe('CancelledFailure');
    expect(heartbeats).toContain('waiting');
  });
});
