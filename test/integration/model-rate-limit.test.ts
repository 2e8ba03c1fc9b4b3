/**
 * Rate limits across workers: three model-call workers poll one model queue limited to 2 calls a second; the scripted
 * model server, which sees every request, counts them per window. The Temporal server enforces the limit for the
 * queue, whichever worker takes a call, so no window holds more than the limit allows: its rate over the window plus
 * the burst the server's token buckets grant an idle queue (measured up to 6 calls in one second, and more than 10 in three, in
 * CI, with runs that reach their first model call in one workflow task). Unlimited, the 15 calls land within about two
 * seconds; limited, the calls after the burst come at the limit's rate, so the 15 take at least four seconds.
 * A model call held on its queue shows its run waiting for its turn; a worker with a tokens-per-minute limit sets the
 * queue's rate on the server from the tokens its calls reported.
 */
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { SagentClient } from '../../src/client';
import { createAnthropicClient } from '../../src/models/anthropic';
import { queueRateFor } from '../../src/models/token-limit';
import { createModelCallWorker } from '../../src/worker';
import { demoAgents } from '../../src/demo/agents/implementations';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';

const PER_SECOND = 2;
/** Calls an idle queue may take at once beyond its rate (the server's buckets start full). */
const IDLE_BURST = 6;
const RUNS = 5;
const TURNS = 3;

let harness: Harness;
const workers: Array<{ worker: Worker; running: Promise<void>; connection: NativeConnection }> = [];
const modelQueue = `model-calls-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  harness = await startHarness('rate-limit', [
    {
      name: 'rate',
      match: { runIdPrefix: 'rl-' },
      respond: (ctx) =>
        ctx.turn < TURNS
          ? { content: [{ type: 'tool_use', name: 'search_flights', input: { from: 'LHR', to: 'LIS', date: `2026-07-0${ctx.turn}` } }] }
          : { content: [{ type: 'text', text: 'Done.' }] },
    },
  ]);
  for (let i = 0; i < 3; i++) await startModelWorker(modelQueue, { requestsPerSecond: PER_SECOND });
}, 300_000);

async function startModelWorker(
  queue: string,
  limits: { requestsPerSecond: number; tokensPerMinute?: Parameters<typeof createModelCallWorker>[0]['tokensPerMinute'] },
): Promise<void> {
  const connection = await NativeConnection.connect({ address: harness.temporal.address });
  const worker = await createModelCallWorker({
    connection,
    namespace: harness.temporal.namespace,
    modelTaskQueue: queue,
    ...limits,
    agents: demoAgents({ servicesUrl: harness.services.url }).filter((entry) => entry.agent.name === 'travel'),
    anthropic: createAnthropicClient({ apiKey: 'test', baseURL: harness.model.url }),
  });
  workers.push({ worker, running: worker.run(), connection });
}
afterAll(async () => {
  for (const { worker } of workers) worker.shutdown();
  for (const { running, connection } of workers) {
    await running;
    await connection.close();
  }
  await harness?.stop();
});

test('three workers under a limit of 2 model calls a second: the model server never sees more', async () => {
  const ids = Array.from({ length: RUNS }, () => `rl-${randomUUID().slice(0, 8)}`);
  const handles = await Promise.all(ids.map((id) => harness.start(id, { agent: 'travel', task: 'Flights to Lisbon', modelTaskQueue: modelQueue })));
  const outcomes = await Promise.all(handles.map((handle) => outcomeOf(handle)));
  expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map(() => 'completed'));

  const times = harness.model.requests
    .filter((request) => request.runId !== null && ids.includes(request.runId) && request.path === '/v1/messages')
    .map((request) => Date.parse(request.receivedAt))
    .sort((a, b) => a - b);
  expect(times.length).toBe(RUNS * TURNS);
  // Every window of W seconds that starts at a request holds at most the limit's W seconds plus the idle burst.
  for (const windowSeconds of [1, 3]) {
    const busiest = Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowSeconds * 1000).length));
    expect({ windowSeconds, overLimit: busiest > PER_SECOND * windowSeconds + IDLE_BURST }).toEqual({ windowSeconds, overLimit: false });
  }
  // Beyond the idle burst the calls come at the limit's rate: the rest take (15 - 6) / 2 = 4.5 s at least.
  const spanMs = times[times.length - 1] - times[0];
  expect({ spanMs, limited: spanMs >= ((RUNS * TURNS - IDLE_BURST) / PER_SECOND - 0.5) * 1000 }).toEqual({ spanMs, limited: true });
});

test('a model call held on its queue shows the run waiting for its turn; a token-limited worker sets the queue rate from reported usage', async () => {
  const queue = `model-tokens-${randomUUID().slice(0, 8)}`;
  const workflowId = `rl-wait-${randomUUID().slice(0, 8)}`;
  // No worker polls the queue yet: the first model call waits there, scheduled and not started.
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Flights to Lisbon', modelTaskQueue: queue });
  const sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
  let view = await sagent.read(workflowId);
  for (const deadline = Date.now() + 60_000; view.waitingForTurn === null && Date.now() < deadline; view = await sagent.read(workflowId)) {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  expect(view.status).toBe('running');
  expect(view.waitingForTurn).toMatchObject({ attempt: 1 });
  expect(view.statusDetail).toMatch(/^waiting for its turn: its model call \(attempt 1\) has waited \d+s on its task queue, scheduled and not started/);

  // A worker with a tokens-per-minute limit takes the queue; it assumes 1 token a call until calls report their usage.
  const tokensPerMinute = 60_000;
  await startModelWorker(queue, { requestsPerSecond: 5, tokensPerMinute: { tokensPerMinute, initialTokensPerCall: 1, adjustEveryMs: 200 } });
  expect((await outcomeOf(handle)).status).toBe('completed');
  expect((await sagent.read(workflowId)).waitingForTurn).toBeNull();

  // The queue's rate on the server follows the largest call the worker measured.
  const rateOf = async () => {
    const described = await harness.temporal.nativeConnection.workflowService.describeTaskQueue({
      namespace: harness.temporal.namespace,
      taskQueue: { name: queue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportConfig: true,
    });
    const limit = described.config?.queueRateLimit;
    return {
      rate: limit?.rateLimit?.requestsPerSecond ?? null,
      tokensPerCall: Number(/at up to (\d+) tokens a call/.exec(limit?.metadata?.reason ?? '')?.[1] ?? 0),
    };
  };
  let config = await rateOf();
  for (const deadline = Date.now() + 30_000; config.tokensPerCall <= 1 && Date.now() < deadline; config = await rateOf()) {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  expect(config.tokensPerCall).toBeGreaterThan(100);
  expect(config.rate).toBeCloseTo(queueRateFor({ tokensPerMinute, requestsPerSecond: 5 }, config.tokensPerCall), 5);
  expect(config.rate).toBeLessThan(5);
});
