/**
 * A worker killed with SIGKILL in the middle of a tool call, or of a compensation, is replaced and the run
 * finishes with every effect made once and, on rollback, undone once (guarantee 2: effect ids are stable
 * across activity retries and worker crashes). The worker runs in a child process (worker-main.ts).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario } from '../../src/dev/scenario';
import { getStateQuery, type AgentRunInput, type RunOutcome } from '../../src/shared/contracts';
import { startHarness, workflowBundle, type Harness } from '../helpers/harness';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import * as services from '../helpers/services';
import { waitUntil } from '../helpers/services';

const addFault = (rule: Record<string, unknown>) => services.addFault(harness.services.url, rule);
const faultFired = (id: number) => services.faultFired(harness.services.url, id);
const ledgerOf = (workflowId: string) => services.runLedger(harness.services.url, workflowId);

const STEPS = [
  { tool: 'book_flight', operation: 'flight_booking', input: { flightId: 'KL-1692', passenger: 'Edsger Dijkstra' } },
  { tool: 'book_hotel', operation: 'hotel_booking', input: { city: 'Amsterdam', checkIn: '2026-05-11', checkOut: '2026-05-14', guest: 'Edsger Dijkstra' } },
  { tool: 'rent_car', operation: 'car_rental', input: { city: 'Amsterdam', pickUp: '2026-05-11', dropOff: '2026-05-14', driver: 'Edsger Dijkstra' } },
] as const;

/** Three bookings, one per turn; then the run ends (`saga-crash-tool-`) or Claude aborts (`saga-crash-undo-`). */
const trip: RespondingScenario = {
  name: 'saga-crash',
  match: { runIdPrefix: 'saga-crash-' },
  respond(ctx) {
    const step = STEPS[ctx.turn - 1];
    if (step) return { content: [{ type: 'tool_use', name: step.tool, input: step.input as Record<string, unknown> }] };
    if (ctx.runId!.startsWith('saga-crash-undo-')) return { content: [{ type: 'tool_use', name: 'abort', input: { reason: 'the conference was cancelled' } }] };
    return { content: [{ type: 'text', text: 'Flight, hotel and car are booked.' }] };
  },
};

let harness: Harness;
/** The children's own task queue: the harness's in-process worker never sees these runs. */
const taskQueue = `saga-crash-children-${randomUUID().slice(0, 8)}`;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  harness = await startHarness('saga-crash', [trip]);
  worker = await startWorker();
});
afterAll(async () => {
  await worker?.kill();
  await harness?.stop();
});

async function startWorker(): Promise<WorkerProcess> {
  return startWorkerProcess({ taskQueue, modelUrl: harness.model.url, servicesUrl: harness.services.url, workflowCode: (await workflowBundle()).code });
}

/** SIGKILLs the worker, and starts its replacement. */
async function crashWorker(): Promise<void> {
  await worker!.kill();
  worker = undefined;
  worker = await startWorker();
}

function start(workflowId: string, input: AgentRunInput): Promise<WorkflowHandle> {
  return harness.client.workflow.start('agentSaga', { taskQueue, workflowId, args: [input] });
}

test('killed during a tool call: the step is retried with the same key and lands exactly once', async () => {
  const workflowId = `saga-crash-tool-${randomUUID().slice(0, 8)}`;
  const hotel = `${workflowId}/effect-2`;
  // The hotel holds the request (and its key) for 12 s; the worker dies meanwhile.
  const rule = await addFault({ path: '/hotels/bookings', keyPrefix: hotel, mode: 'delay', delayMs: 12_000, times: 1 });
  const handle = await start(workflowId, { agent: 'travel', task: 'Book my trip to Amsterdam' });
  await waitUntil(async () => (await faultFired(rule)) === 1);
  const during = await handle.query(getStateQuery);
  expect(during.timeline.at(-1)).toMatchObject({ kind: 'tool', title: 'book_hotel · effect 2', state: 'started', effectId: hotel });

  await crashWorker();
  const outcome = (await handle.result()) as RunOutcome;

  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual(STEPS.map((s) => [s.tool, 'committed']));
  const ledger = await ledgerOf(workflowId);
  expect(ledger.effects.map((e) => [e.key, e.operation, e.state])).toEqual(STEPS.map((s, i) => [`${workflowId}/effect-${i + 1}`, s.operation, 'active']));
  expect(ledger.undos).toEqual([]);
  // The crash did interrupt the step: its final attempt was a retry after the dead worker's heartbeat timed out.
  const attempt = await finalAttemptOf(handle, 'runTool', hotel);
  expect(attempt.attempt).toBeGreaterThanOrEqual(2);
  expect(attempt.lastFailure).toMatch(/heartbeat|still being processed/i);
});

test('killed during a compensation: the rollback resumes and undoes each effect exactly once, newest first', async () => {
  const workflowId = `saga-crash-undo-${randomUUID().slice(0, 8)}`;
  const ids = STEPS.map((_, i) => `${workflowId}/effect-${i + 1}`);
  // The undo of the hotel (the second to be undone) is held for 12 s; the worker dies meanwhile.
  const rule = await addFault({ path: '/effects/undo', keyPrefix: ids[1], mode: 'delay', delayMs: 12_000, times: 1 });
  const handle = await start(workflowId, { agent: 'travel', task: 'Book my trip to Amsterdam' });
  await waitUntil(async () => (await faultFired(rule)) === 1);
  const during = await handle.query(getStateQuery);
  expect(during.status).toBe('compensating');
  expect(during.effects.map((e) => e.compensation)).toEqual(['registered', 'running', 'compensated']);

  await crashWorker();
  const outcome = (await handle.result()) as RunOutcome;

  expect(outcome.status).toBe('compensated');
  expect(outcome.effects.map((e) => [e.effectId, e.compensation])).toEqual(ids.map((id) => [id, 'compensated']));
  const ledger = await ledgerOf(workflowId);
  expect(ledger.effects.map((e) => [e.key, e.operation, e.state])).toEqual(STEPS.map((s, i) => [ids[i], s.operation, 'undone']));
  expect(ledger.undos.map((u) => [u.key, u.targetKey, u.result])).toEqual([...ids].reverse().map((id) => [`${id}/undo`, id, 'compensated']));
  // The crash did interrupt the compensation: its activity on the dead worker timed out.
  const history = await handle.fetchHistory();
  const timedOut = history.events!.filter((e) => e.activityTaskTimedOutEventAttributes);
  expect(timedOut.map((e) => e.activityTaskTimedOutEventAttributes!.failure?.message)).toEqual([expect.stringMatching(/heartbeat/i)]);
});

/** The attempt number and last failure recorded when the activity for `effectId` finally ran. */
async function finalAttemptOf(handle: WorkflowHandle, activityType: string, effectId: string): Promise<{ attempt: number; lastFailure: string }> {
  const history = await handle.fetchHistory();
  const scheduled = history.events!.find((e) => {
    const attributes = e.activityTaskScheduledEventAttributes;
    if (attributes?.activityType?.name !== activityType) return false;
    const [input] = (attributes.input?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8')));
    return input?.effectId === effectId;
  });
  expect(scheduled).toBeDefined();
  const started = history.events!.find(
    (e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled!.eventId),
  );
  const attributes = started!.activityTaskStartedEventAttributes!;
  return { attempt: attributes.attempt ?? 0, lastFailure: attributes.lastFailure?.message ?? '' };
}
