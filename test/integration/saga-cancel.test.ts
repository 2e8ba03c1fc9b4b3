/**
 * Cancelling a run at any point (after 0, 1, 2 or 3 effects, or while a charge awaits approval) leaves it
 * Temporal-Canceled, shows `cancelled`, and undoes every effect that landed, newest first, exactly once:
 * compensations run even though the run is being cancelled (guarantee 3).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario } from '../../src/dev/scenario';
import { decideUpdate, getStateQuery, type RunOutcome, type RunState } from '../../src/shared/contracts';
import { AgentStatus } from '../../src/shared/search-attributes';
import { captureFixture } from '../helpers/fixtures';
import { startHarness, type Harness } from '../helpers/harness';
import * as services from '../helpers/services';
import { runLedger, waitUntil } from '../helpers/services';

const addFault = (rule: Record<string, unknown>) => services.addFault(harness.services.url, rule);
const faultFired = (id: number) => services.faultFired(harness.services.url, id);

const STEPS = [
  { tool: 'book_flight', operation: 'flight_booking', input: { flightId: 'LH-1170', passenger: 'Alan Turing' } },
  { tool: 'book_hotel', operation: 'hotel_booking', input: { city: 'Berlin', checkIn: '2026-09-01', checkOut: '2026-09-04', guest: 'Alan Turing' } },
  { tool: 'rent_car', operation: 'car_rental', input: { city: 'Berlin', pickUp: '2026-09-01', dropOff: '2026-09-04', driver: 'Alan Turing' } },
  { tool: 'charge_card', operation: 'charge', input: { amountCents: 98000, currency: 'EUR', card: '4242424242424242', description: 'Berlin trip' } },
] as const;

/** Model answers held back until the test lets them go, by workflow id: the run sits in a model call. */
const held = new Map<string, () => void>();
/** How many steps each run takes before its next model call is held. */
const stepsOf = new Map<string, number>();

const trip: RespondingScenario = {
  name: 'saga-cancel',
  match: { runIdPrefix: 'saga-cancel-' },
  async respond(ctx) {
    const steps = stepsOf.get(ctx.runId ?? '') ?? 0;
    if (ctx.turn <= steps) {
      const step = STEPS[ctx.turn - 1];
      return { content: [{ type: 'tool_use', name: step.tool, input: step.input as Record<string, unknown> }] };
    }
    await new Promise<void>((resolve) => held.set(ctx.runId!, resolve));
    return { content: [{ type: 'text', text: 'All booked.' }] };
  },
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('saga-cancel', [trip]);
});
afterAll(async () => {
  for (const release of held.values()) release();
  await harness?.stop();
});

test.each([0, 1, 2, 3])('cancelled after %i effects: Canceled in Temporal, every effect undone newest-first', async (effects) => {
  const workflowId = `saga-cancel-after${effects}-${randomUUID().slice(0, 8)}`;
  stepsOf.set(workflowId, effects);
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a trip to Berlin', approval: { approvers: ['ana'] } });
  // The run is in its next model call, every effect so far committed.
  await waitUntil(() => harness.model.requests.some((r) => r.runId === workflowId && r.turn === effects + 1));
  const before = await handle.query(getStateQuery);
  expect(before.effects.map((e) => e.state)).toEqual(Array(effects).fill('committed'));

  await handle.cancel();
  const state = await expectCancelled(handle);
  held.get(workflowId)?.();

  expect(state.steps).toBe(effects);
  await expectUndoneNewestFirst(workflowId, state, effects);
});

test('cancelled while a charge awaits approval: the request is withdrawn, the charge never runs, the bookings are undone', async () => {
  const workflowId = `saga-cancel-approval-${randomUUID().slice(0, 8)}`;
  stepsOf.set(workflowId, 4);
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a trip to Berlin', approval: { approvers: ['ana'] } });
  const waiting = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  expect(waiting.pendingApprovals.map((p) => p.tool)).toEqual(['charge_card']);

  await handle.cancel();
  const state = await expectCancelled(handle);
  await captureFixture(handle, 'saga-cancelled');

  expect(state.pendingApprovals).toEqual([]);
  expect(state.approvals.map((a) => [a.tool, a.decision])).toEqual([['charge_card', 'withdrawn']]);
  // The charge was never registered nor sent: only the three bookings are effects, and all are undone.
  await expectUndoneNewestFirst(workflowId, state, 3);
});

test.each([
  [2, 'book_hotel', '/hotels/bookings'],
  [4, 'charge_card', '/payments/charges'],
])('cancelled while step %i (%s) is in flight: Canceled, and the step that lands anyway is undone too', async (step, tool, path) => {
  const workflowId = `saga-cancel-inflight${step}-${randomUUID().slice(0, 8)}`;
  stepsOf.set(workflowId, step);
  // The service holds the request (and its key) for 3 s, then commits it: the cancel arrives meanwhile.
  const rule = await addFault({ path, keyPrefix: `${workflowId}/effect-${step}`, mode: 'delay', delayMs: 3000, times: 1 });
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a trip to Berlin', approval: { approvers: ['ana'] } });
  if (tool === 'charge_card') {
    const waiting = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
    const charge = waiting.pendingApprovals[0];
    await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
  }
  await waitUntil(async () => (await faultFired(rule)) === 1);

  await handle.cancel();
  const state = await expectCancelled(handle);
  expect(state.effects.map((e) => [e.tool, e.compensation])).toEqual(STEPS.slice(0, step).map((s) => [s.tool, 'compensated']));
  const ledger = await runLedger(harness.services.url, workflowId);
  const ids = Array.from({ length: step }, (_, i) => `${workflowId}/effect-${i + 1}`);
  expect(ledger.effects.map((e) => [e.key, e.state])).toEqual(ids.map((id) => [id, 'undone']));
  expect(ledger.undos.map((u) => [u.targetKey, u.result])).toEqual([...ids].reverse().map((id) => [id, 'compensated']));
});

/** The run ended Temporal-Canceled, and its state says `cancelled`. */
async function expectCancelled(handle: WorkflowHandle): Promise<RunState> {
  const settled = await handle.result().then(
    (outcome: RunOutcome) => ({ resolvedWith: { status: outcome.status, reason: outcome.reason } }),
    (err: { name?: string; cause?: { name?: string } }) => ({ name: err.name, cause: { name: err.cause?.name } }),
  );
  expect(settled).toEqual({ name: 'WorkflowFailedError', cause: { name: 'CancelledFailure' } });
  const description = await handle.describe();
  expect(description.status.name).toBe('CANCELLED');
  expect(description.typedSearchAttributes.get(AgentStatus)).toBe('cancelled');
  const state = await handle.query(getStateQuery);
  expect(state.status).toBe('cancelled');
  expect(state.statusDetail).toBe('the run was cancelled');
  return state;
}

async function expectUndoneNewestFirst(workflowId: string, state: RunState, count: number): Promise<void> {
  const ids = Array.from({ length: count }, (_, i) => `${workflowId}/effect-${i + 1}`);
  const newestFirst = [...ids].reverse();
  expect(state.effects.map((e) => [e.effectId, e.tool, e.state, e.compensation])).toEqual(ids.map((id, i) => [id, STEPS[i].tool, 'committed', 'compensated']));
  const undone = state.timeline.filter((t) => t.kind === 'compensation' && t.title.startsWith('undo ') && t.state === 'ok').map((t) => t.effectId);
  expect(undone).toEqual(newestFirst);

  const ledger = await runLedger(harness.services.url, workflowId);
  expect(ledger.effects.map((e) => [e.key, e.operation, e.state])).toEqual(ids.map((id, i) => [id, STEPS[i].operation, 'undone']));
  expect(ledger.undos.map((u) => [u.targetKey, u.result])).toEqual(newestFirst.map((id) => [id, 'compensated']));
}
