/**
 * Rate limits across workers: three model-call workers poll one model queue limited to 2 calls a second; the scripted
 * model server, which sees every request, counts them per window. The Temporal server enforces the limit for the
 * queue, whichever worker takes a call, so no window holds more than the limit allows: its rate over the window plus
 * the burst the server's token buckets grant an idle queue (measured up to 6 calls in one second in CI). Unlimited,
 * the 15 calls land within about two seconds; limited, no five seconds hold all of them.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createAnthropicClient } from '../../src/models/anthropic';
import { createModelCallWorker } from '../../src/worker';
import { demoAgents } from '../../src/demo/agents/implementations';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';

const PER_SECOND = 2;
/** Calls an idle queue may take at once beyond its rate (the server's buckets start full). */
const IDLE_BURST = 4;
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
  for (let i = 0; i < 3; i++) {
    const connection = await NativeConnection.connect({ address: harness.temporal.address });
    const worker = await createModelCallWorker({
      connection,
      namespace: harness.temporal.namespace,
      modelTaskQueue: modelQueue,
      requestsPerSecond: PER_SECOND,
      agents: demoAgents({ servicesUrl: harness.services.url }).filter((entry) => entry.agent.name === 'travel'),
      anthropic: createAnthropicClient({ apiKey: 'test', baseURL: harness.model.url }),
    });
    workers.push({ worker, running: worker.run(), connection });
  }
}, 300_000);
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
  for (const windowSeconds of [1, 3, 5]) {
    const busiest = Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowSeconds * 1000).length));
    expect({ windowSeconds, overLimit: busiest > PER_SECOND * windowSeconds + IDLE_BURST }).toEqual({ windowSeconds, overLimit: false });
  }
});
