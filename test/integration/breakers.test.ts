/**
 * Circuit breakers on the real dev server: runs against a weather service that answers 503 open the worker's
 * breaker, which then turns calls away without reaching the service and tells Claude `service_unavailable`; once
 * the service recovers, the half-open probe closes it. An operator's override reaches a second worker process
 * through the task queue's breaker board.
 */
import { randomUUID } from 'node:crypto';
import type { RespondingScenario, ToolResultSeen } from '../../src/dev/scenario';
import { SagentClient } from '../../src/client';
import { breakerSnapshot } from '../../src/breakers/registry';
import { breakerBoardId, type BreakerView } from '../../src/shared/breakers';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, workflowBundle, type Harness } from '../helpers/harness';
import { addFault, faultFired, waitUntil } from '../helpers/services';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(240_000);

/** What Claude was shown for its weather call, by workflow id. */
const seen = new Map<string, ToolResultSeen>();

const weather: RespondingScenario = {
  name: 'breakers',
  match: { runIdPrefix: 'brk-' },
  respond(ctx) {
    if (ctx.turn === 1) return { content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } }] };
    seen.set(ctx.runId!, ctx.lastToolResults[0]);
    return { content: [{ type: 'text', text: 'done' }] };
  },
};

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness('breakers', [weather]);
});
afterAll(() => harness?.stop());

const weatherBreaker = (): BreakerView | undefined => breakerSnapshot().find((breaker) => breaker.name === 'weather' && breaker.tools.includes('get_weather'));

async function clearFaults(): Promise<void> {
  await fetch(`${harness.services.url}/_faults`, { method: 'DELETE' });
}

test('a service answering 503 opens the breaker: calls stop reaching it, Claude is told service_unavailable, and a probe closes it once it recovers', async () => {
  const RUNS = 10;
  const MAX_ATTEMPTS = 5;
  const fault = await addFault(harness.services.url, { path: '/weather', mode: 'error5xx', status: 503 });
  const ids = Array.from({ length: RUNS }, () => `brk-down-${randomUUID().slice(0, 8)}`);
  const handles = await Promise.all(ids.map((id) => harness.start(id, { agent: 'travel', task: 'Weather in Lisbon?' })));
  const outcomes = await Promise.all(handles.map(outcomeOf));

  // A read that fails is Claude's to handle: every run completes.
  expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(RUNS).fill('completed'));
  const results = ids.map((id) => seen.get(id)!);
  expect(results.every((result) => result.is_error)).toBe(true);
  const unavailable = results.filter((result) => (result.json as { error?: string }).error === 'service_unavailable');
  expect(unavailable.length).toBeGreaterThan(0);
  expect(unavailable[0].json).toMatchObject({ code: 'circuit_open', hint: expect.stringMatching(/try again/) });
  // Without the breaker every run spends every attempt on the service.
  expect(await faultFired(harness.services.url, fault)).toBeLessThan(RUNS * MAX_ATTEMPTS);
  expect(weatherBreaker()).toMatchObject({ state: 'open' });

  await clearFaults();
  await waitUntil(() => weatherBreaker()?.retryAfterMs === 0, 30_000);
  const probeId = `brk-probe-${randomUUID().slice(0, 8)}`;
  const probe = await outcomeOf(await harness.start(probeId, { agent: 'travel', task: 'Weather in Lisbon again?' }));
  expect(probe.status).toBe('completed');
  expect(seen.get(probeId)?.is_error).toBe(false);
  expect(weatherBreaker()).toMatchObject({ state: 'closed' });
});

describe('an operator override', () => {
  let second: WorkerProcess | undefined;
  afterAll(async () => {
    await second?.stop();
  });

  test('reaches a second worker process through the breaker board, and lifting it reaches it too', async () => {
    second = await startWorkerProcess({
      taskQueue: harness.taskQueue,
      modelUrl: harness.model.url,
      servicesUrl: harness.services.url,
      workflowCode: (await workflowBundle()).code,
    });
    const sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
    const secondWeather = async () =>
      (await sagent.breakers()).breakers.find((breaker) => breaker.name === 'weather' && breaker.workerId.includes(`:${second!.pid}:`));
    // The second worker reports its declared breakers (closed) on its own.
    await waitUntil(async () => (await secondWeather())?.state === 'closed', 60_000);

    const overrides = await sagent.overrideBreaker('weather', 'open', { by: 'ana', reason: 'weather provider incident' });
    expect(overrides.weather).toMatchObject({ position: 'open', by: 'ana' });
    await waitUntil(async () => (await secondWeather())?.state === 'forced_open', 30_000);
    await waitUntil(() => weatherBreaker()?.state === 'forced_open', 30_000);

    // A run now fails its weather call fast on whichever worker takes it, and is told why.
    const runId = `brk-forced-${randomUUID().slice(0, 8)}`;
    expect((await outcomeOf(await harness.start(runId, { agent: 'travel', task: 'Weather?' }))).status).toBe('completed');
    expect(seen.get(runId)?.json).toMatchObject({ error: 'service_unavailable', hint: expect.stringMatching(/operator/) });

    await sagent.overrideBreaker('weather', 'clear', { by: 'ana', reason: 'provider recovered' });
    await waitUntil(async () => (await secondWeather())?.state === 'closed', 30_000);
    await expect(sagent.overrideBreaker('weather', 'open', { by: '', reason: 'x' })).rejects.toMatchObject({ name: 'BreakerOverrideRefusedError' });
    await captureFixture(harness.client.workflow.getHandle(breakerBoardId(harness.taskQueue)), 'breaker-board');
  });
});
