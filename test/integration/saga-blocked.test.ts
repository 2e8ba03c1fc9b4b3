/**
 * A compensation that keeps failing leaves the run `blocked`, visibly (state and the `AgentStatus` search
 * attribute), and resumable by an operator: `retryCompensation` once the cause is fixed finishes the
 * rollback; `skipCompensation` with a reason records who skipped it and lets the rollback move on.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario } from '../../src/dev/scenario';
import { getStateQuery, retryCompensationSignal, skipCompensationSignal, type RunState } from '../../src/shared/contracts';
import { AgentStatus } from '../../src/shared/search-attributes';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import * as services from '../helpers/services';
import { waitUntil } from '../helpers/services';

const addFault = (rule: Record<string, unknown>) => services.addFault(harness.services.url, rule);
const faultFired = (id: number) => services.faultFired(harness.services.url, id);
const ledgerOf = (workflowId: string) => services.runLedger(harness.services.url, workflowId);

const trip: RespondingScenario = {
  name: 'saga-blocked',
  match: { runIdPrefix: 'saga-blocked-' },
  respond(ctx) {
    if (ctx.turn === 1) return { content: [{ type: 'tool_use', name: 'book_flight', input: { flightId: 'AF-1380', passenger: 'Grace Hopper' } }] };
    if (ctx.turn === 2) {
      return {
        content: [{ type: 'tool_use', name: 'book_hotel', input: { city: 'Paris', checkIn: '2026-10-02', checkOut: '2026-10-05', guest: 'Grace Hopper' } }],
      };
    }
    return { content: [{ type: 'tool_use', name: 'abort', input: { reason: 'the traveller changed their mind' } }] };
  },
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('saga-blocked', [trip]);
});
afterEach(() => fetch(`${harness.services.url}/_faults`, { method: 'DELETE' }));
afterAll(() => harness?.stop());

/** Starts a run whose hotel cancellation fails with a 503 every time, and waits until it shows `blocked`. */
async function blockedRun(name: string): Promise<{ handle: WorkflowHandle; flight: string; hotel: string; state: RunState }> {
  const workflowId = `saga-blocked-${name}-${randomUUID().slice(0, 8)}`;
  const flight = `${workflowId}/effect-1`;
  const hotel = `${workflowId}/effect-2`;
  await addFault({ path: '/effects/undo', keyPrefix: hotel, mode: 'error5xx', status: 503 });
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a trip to Paris', blockAfterCompensationFailures: 2 });
  const state = await harness.waitFor(handle, (s) => s.status === 'blocked');

  expect(state.statusDetail).toContain(`compensation of book_hotel (${hotel}) keeps failing`);
  expect((await handle.describe()).typedSearchAttributes.get(AgentStatus)).toBe('blocked');
  const [flightEffect, hotelEffect] = state.effects;
  expect(hotelEffect).toMatchObject({ effectId: hotel, state: 'committed', compensation: 'failed' });
  expect(hotelEffect.compensationAttempts).toBeGreaterThanOrEqual(2);
  expect(hotelEffect.compensationError).toMatch(/injected fault/);
  // Newest first: the flight waits until the hotel is dealt with.
  expect(flightEffect).toMatchObject({ effectId: flight, compensation: 'registered' });
  expect((await ledgerOf(workflowId)).effects.map((e) => [e.key, e.state])).toEqual([
    [flight, 'active'],
    [hotel, 'active'],
  ]);
  return { handle, flight, hotel, state };
}

test('blocked, then retried by an operator once the service is fixed: the rollback finishes', async () => {
  const { handle, flight, hotel } = await blockedRun('retry');
  // Let the backoff grow to 8 s, so an undo soon after the signal can only come from the signal.
  const stuck = await harness.waitFor(handle, (s) => s.effects[1].compensationAttempts >= 4, 30_000);
  expect(stuck.status).toBe('blocked');

  await fetch(`${harness.services.url}/_faults`, { method: 'DELETE' });
  await handle.signal(retryCompensationSignal, { effectId: hotel, by: 'oncall-olga', reason: 'hotel API is back' });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'saga-blocked-then-retried');

  expect(outcome.status).toBe('compensated');
  expect(outcome.effects.map((e) => [e.effectId, e.compensation])).toEqual([
    [flight, 'compensated'],
    [hotel, 'compensated'],
  ]);
  const state = await handle.query(getStateQuery);
  expect(state.status).toBe('compensated');
  expect((await handle.describe()).typedSearchAttributes.get(AgentStatus)).toBe('compensated');
  const retried = state.timeline.find((t) => t.kind === 'compensation' && t.title === 'retry requested by oncall-olga');
  expect(retried).toMatchObject({ state: 'info', detail: 'hotel API is back' });
  // The operator's request is answered by one undo attempt, which succeeds: no further backoff round was needed.
  const undosAfterRequest = state.timeline.slice(state.timeline.indexOf(retried!) + 1).filter((t) => t.effectId === hotel && t.title.startsWith('undo '));
  expect(undosAfterRequest.map((t) => t.state)).toEqual(['ok']);
  expect(undoneInTimeline(state)).toEqual([hotel, flight]);

  const ledger = await ledgerOf(handle.workflowId);
  expect(ledger.effects.map((e) => [e.key, e.state])).toEqual([
    [flight, 'undone'],
    [hotel, 'undone'],
  ]);
  expect(ledger.undos.map((u) => [u.targetKey, u.result])).toEqual([
    [hotel, 'compensated'],
    [flight, 'compensated'],
  ]);
});

test('blocked, then skipped by an operator with a reason: recorded, and the rollback moves on', async () => {
  const { handle, flight, hotel } = await blockedRun('skip');
  // An action naming no effect of this run changes nothing but a visible refusal.
  await handle.signal(skipCompensationSignal, { effectId: `${handle.workflowId}/effect-9`, by: 'oncall-olga', reason: 'typo' });
  const refused = (t: RunState['timeline'][number]) => t.title.startsWith('refused skipCompensation signal from oncall-olga');
  const still = await harness.waitFor(handle, (s) => s.timeline.some(refused));
  expect(still.status).toBe('blocked');
  expect(still.timeline.find(refused)).toMatchObject({ state: 'error', detail: expect.stringContaining('no effect') });
  expect(still.rejectedAttempts.at(-1)).toMatchObject({ approver: 'oncall-olga', message: 'skipCompensation', code: 'OperatorActionRefused' });
  // The refusal shows in the current details at once, with how to retry or skip, paste-ready.
  const blockedDetails = ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
  expect(blockedDetails).toContain('skipCompensation signal claiming to be ` oncall-olga ` (unverified)');
  expect(blockedDetails).toContain('### Undo blocked: cancel\\_hotel of book\\_hotel (effect 2)');
  expect(blockedDetails).toMatch(/\*\*`retryCompensation`\*\* signal[^]*"effectId": "2"[^]*\*\*`skipCompensation`\*\* signal/);

  // regression: `2` and `effect-2` (the forms the CLI shows) were silently ignored.
  await handle.signal(skipCompensationSignal, { effectId: '2', by: 'oncall-olga', reason: 'cancelled by phone with the hotel' });
  const outcome = await outcomeOf(handle);
  const details = ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
  expect(details).toContain(`undo skipped: book\\_hotel (\` ${hotel} \`) by \` oncall-olga \`: cancelled by phone with the hotel`);
  await captureFixture(handle, 'saga-skipped');

  expect(outcome.status).toBe('compensated');
  expect(outcome.effects.map((e) => [e.effectId, e.compensation, e.skippedBy ?? null])).toEqual([
    [flight, 'compensated', null],
    [hotel, 'skipped', { by: 'oncall-olga', reason: 'cancelled by phone with the hotel' }],
  ]);
  const state = await handle.query(getStateQuery);
  expect(state.status).toBe('compensated');
  expect((await handle.describe()).typedSearchAttributes.get(AgentStatus)).toBe('compensated');
  expect(undoneInTimeline(state)).toEqual([flight]);

  // The services: the skipped hotel was left as it was (the operator handled it); only the flight was undone.
  const ledger = await ledgerOf(handle.workflowId);
  expect(ledger.effects.map((e) => [e.key, e.state])).toEqual([
    [flight, 'undone'],
    [hotel, 'active'],
  ]);
  expect(ledger.undos.map((u) => [u.targetKey, u.result])).toEqual([[flight, 'compensated']]);
});

test('a skip sent while a compensation attempt is still running is not lost', async () => {
  const workflowId = `saga-blocked-early-skip-${randomUUID().slice(0, 8)}`;
  const hotel = `${workflowId}/effect-2`;
  // The hotel's undo is slow (3 s) and its answer never arrives, so every attempt fails.
  const slow = await addFault({ path: '/effects/undo', keyPrefix: hotel, mode: 'delay', delayMs: 3000, times: 1 });
  await addFault({ path: '/effects/undo', keyPrefix: hotel, mode: 'commitThenDrop' });
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a trip to Paris', blockAfterCompensationFailures: 2 });
  try {
    await waitUntil(async () => (await faultFired(slow)) === 1);
    const during = await handle.query(getStateQuery);
    expect(during.effects.map((e) => e.compensation)).toEqual(['registered', 'running']);

    // The operator gives up on the hotel while the first attempt is in flight; the ledger records operator
    // actions "even when nothing is blocked yet", so the skip must apply once that attempt fails.
    await handle.signal(skipCompensationSignal, { effectId: hotel, by: 'oncall-olga', reason: 'handled by phone' });
    const state = await harness.waitFor(handle, (s) => s.status === 'compensated', 15_000);
    expect(state.effects.map((e) => [e.tool, e.compensation])).toEqual([
      ['book_flight', 'compensated'],
      ['book_hotel', 'skipped'],
    ]);
  } finally {
    await handle.terminate('test cleanup').catch(() => undefined);
  }
});

function undoneInTimeline(state: RunState): string[] {
  return state.timeline.filter((t) => t.kind === 'compensation' && t.title.startsWith('undo ') && t.state === 'ok').map((t) => t.effectId!);
}
