/**
 * Nothing left unknown, nothing done twice, no silent parks (DESIGN.md, guarantees 1, 2, 3, 7 and 10), checked
 * on the real dev server against the services' own records:
 * - a completed run never carries an unknown effect: a lost response is reconciled (the same key again, or
 *   the tool's status check), and one that stays unknown rolls the saga back;
 * - an identical repeated booking is answered from the first result, without a second request, across
 *   continue-as-new;
 * - a model repeating one invalid call is backed off, then stopped with a reason naming the loop;
 * - an approval given after the budget ran out does not run the tool, and waiting for a person does not
 *   spend the wall clock.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario, ToolResultSeen, TurnSpec } from '../../src/dev/scenario';
import { decideUpdate, extendBudgetUpdate, type AgentRunInput } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import * as services from '../helpers/services';

const text = (value: string) => ({ type: 'text' as const, text: value });
const call = (name: string, input: Record<string, unknown>) => ({ type: 'tool_use' as const, name, input });

const HOTEL = { city: 'Lisbon', checkIn: '2026-07-03', checkOut: '2026-07-06', guest: 'Ada Lovelace' };
const CAR = { city: 'Lisbon', pickUp: '2026-07-03', dropOff: '2026-07-06', driver: 'Ada Lovelace' };
const FLIGHT = { flightId: 'TP-1234', passenger: 'Ada Lovelace' };
const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242 4242 4242 4242', description: 'Lisbon trip' };
/** Short rounds, so a test waits seconds: the default waits 5 s, then doubles. */
const QUICK_RECONCILE: AgentRunInput['reconcile'] = { rounds: 2, initialDelayMs: 300 };
/** A cost limit the first model turn spends. */
const TINY_USD = 0.0000001;

/** What Claude was shown at each turn, by workflow id. */
const seen = new Map<string, ToolResultSeen[][]>();

/** Turn n plays `turns[n - 1]`, then a final answer; records what Claude was shown. */
function scripted(name: string, prefix: string, turns: (turn: number) => TurnSpec | undefined): RespondingScenario {
  return {
    name,
    match: { runIdPrefix: prefix },
    respond(ctx) {
      if (ctx.attempt === 1) seen.set(ctx.runId!, [...(seen.get(ctx.runId!) ?? []), ctx.lastToolResults]);
      return turns(ctx.turn) ?? { content: [text(`Done after ${ctx.turn - 1} turns.`)] };
    },
  };
}

const scenarios = [
  scripted('reconcile-hotel', 'rel-hotel-', (turn) => (turn === 1 ? { content: [call('book_hotel', HOTEL)] } : undefined)),
  scripted('reconcile-car', 'rel-car-', (turn) => (turn === 1 ? { content: [call('rent_car', CAR)] } : undefined)),
  // The model books the same flight three times, the keys in another order once; each turn continues as new.
  scripted('repeat', 'rel-repeat-', (turn) =>
    turn === 1
      ? { content: [call('book_flight', FLIGHT)] }
      : turn === 2
        ? { content: [call('book_flight', { passenger: FLIGHT.passenger, flightId: FLIGHT.flightId })] }
        : turn === 3
          ? { content: [call('book_flight', FLIGHT), call('book_hotel', HOTEL), call('book_hotel', HOTEL)] }
          : undefined,
  ),
  scripted('stuck', 'rel-stuck-', () => ({ content: [call('book_flight', { flightId: 'nope', passenger: 'Ada Lovelace' })] })),
  scripted('charge', 'rel-charge-', (turn) => (turn === 1 ? { content: [call('charge_card', CHARGE)] } : undefined)),
  // A booking, then the charge: a pivot on top of the booking.
  scripted('pivot', 'rel-pivot-', (turn) =>
    turn === 1 ? { content: [call('book_hotel', HOTEL)] } : turn === 2 ? { content: [call('charge_card', CHARGE)] } : undefined,
  ),
];

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('reliability', scenarios);
}, 300_000);
afterAll(() => harness?.stop());

describe('a completed run never carries an unknown effect', () => {
  test('a booking whose response is lost on every attempt is reconciled with the same key', async () => {
    const workflowId = `rel-hotel-${randomUUID().slice(0, 8)}`;
    // Every attempt of the tool call (5) lands and loses its response; the reconciling request gets the stored one.
    const fault = await addFault({ path: '/hotels/bookings', keyPrefix: `${workflowId}/effect-1`, mode: 'commitThenDrop', times: 5 });
    const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a hotel in Lisbon', reconcile: QUICK_RECONCILE });
    const outcome = await outcomeOf(handle);
    await captureFixture(handle, 'reconcile-retried');

    expect(outcome.status).toBe('completed');
    expect(outcome.effects.map((e) => [e.tool, e.state, e.compensation])).toEqual([['book_hotel', 'committed', 'registered']]);
    expect(await services.faultFired(harness.services.url, fault)).toBe(5);
    expect(seen.get(workflowId)![1].map((r) => (r.json as { error?: string }).error)).toEqual(['tool_outcome_unknown']);
    const ledger = await ledgerOf(`${workflowId}/`);
    expect(ledger.effects.map((e) => [e.key, e.operation, e.state])).toEqual([[`${workflowId}/effect-1`, 'hotel_booking', 'active']]);
  });

  test("a tool's status check learns the outcome when every response is lost", async () => {
    const workflowId = `rel-car-${randomUUID().slice(0, 8)}`;
    await addFault({ path: '/cars/rentals', keyPrefix: `${workflowId}/effect-1`, mode: 'commitThenDrop' });
    const handle = await harness.start(workflowId, { agent: 'travel', task: 'Rent a car in Lisbon', reconcile: QUICK_RECONCILE });
    const outcome = await outcomeOf(handle);

    expect(outcome.status).toBe('completed');
    expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['rent_car', 'committed']]);
    const ledger = await ledgerOf(`${workflowId}/`);
    expect(ledger.effects.map((e) => [e.operation, e.state])).toEqual([['car_rental', 'active']]);
  });

  test('an outcome that stays unknown rolls the saga back instead of completing', async () => {
    const workflowId = `rel-hotel-lost-${randomUUID().slice(0, 8)}`;
    await addFault({ path: '/hotels/bookings', keyPrefix: `${workflowId}/effect-1`, mode: 'commitThenDrop' });
    const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a hotel in Lisbon', reconcile: QUICK_RECONCILE });
    const outcome = await outcomeOf(handle);
    await captureFixture(handle, 'reconcile-unresolved');

    expect(outcome.status).toBe('compensated');
    expect(outcome.reason).toMatch(/outcome of book_hotel \(.*effect-1\) stayed unknown \(2 rounds did not tell\)/);
    expect(outcome.effects.map((e) => [e.tool, e.state, e.compensation])).toEqual([['book_hotel', 'unknown', 'compensated']]);
    const ledger = await ledgerOf(`${workflowId}/`);
    expect(ledger.effects.map((e) => [e.operation, e.state])).toEqual([['hotel_booking', 'undone']]);
  });
});

describe('no pivot on top of an unknown outcome', () => {
  test('a booking whose response was lost is reconciled before the approved charge runs', async () => {
    const workflowId = `rel-pivot-${randomUUID().slice(0, 8)}`;
    await addFault({ path: '/hotels/bookings', keyPrefix: `${workflowId}/effect-1`, mode: 'commitThenDrop', times: 5 });
    const handle = await harness.start(workflowId, {
      agent: 'travel',
      task: 'Book a hotel, then charge',
      reconcile: QUICK_RECONCILE,
      approval: { approvers: ['ana'] },
    });
    const waiting = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
    expect(waiting.effects.map((e) => [e.tool, e.state])).toEqual([['book_hotel', 'unknown']]);
    await approveCharge(handle);
    const outcome = await outcomeOf(handle);
    await captureFixture(handle, 'pivot-settled');

    expect(outcome.status).toBe('completed');
    expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([
      ['book_hotel', 'committed'],
      ['charge_card', 'committed'],
    ]);
    // The reconciling request went out before the charge was scheduled.
    const scheduled = await scheduledSummaries(handle);
    const reconciled = scheduled.findIndex((summary) => summary.startsWith('reconcile book_hotel'));
    expect(reconciled).toBeGreaterThanOrEqual(0);
    expect(reconciled).toBeLessThan(scheduled.findIndex((summary) => summary.startsWith('charge_card')));
    expect((await ledgerOf(`${workflowId}/`)).effects.map((e) => [e.operation, e.state])).toEqual([
      ['hotel_booking', 'active'],
      ['charge', 'active'],
    ]);
  });

  test('a booking whose outcome stays unknown ends the saga before the charge, which never reaches the service', async () => {
    const workflowId = `rel-pivot-lost-${randomUUID().slice(0, 8)}`;
    await addFault({ path: '/hotels/bookings', keyPrefix: `${workflowId}/effect-1`, mode: 'commitThenDrop' });
    const handle = await harness.start(workflowId, {
      agent: 'travel',
      task: 'Book a hotel, then charge',
      reconcile: QUICK_RECONCILE,
      approval: { approvers: ['ana'] },
    });
    await approveCharge(handle);
    const outcome = await outcomeOf(handle);

    expect(outcome.status).toBe('compensated');
    expect(outcome.reason).toMatch(/outcome of book_hotel \(.*effect-1\) stayed unknown .*; charge_card \(privileged\) did not run/);
    expect((await scheduledSummaries(handle)).some((summary) => summary.startsWith('charge_card'))).toBe(false);
    expect((await ledgerOf(`${workflowId}/`)).effects.map((e) => [e.operation, e.state])).toEqual([['hotel_booking', 'undone']]);
  });
});

/** The summaries of the run's activities, in the order they were scheduled. */
async function scheduledSummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const { defaultPayloadConverter } = await import('@temporalio/common');
  return (history.events ?? []).flatMap((event) => {
    const summary = event.activityTaskScheduledEventAttributes ? event.userMetadata?.summary : undefined;
    return summary ? [String(defaultPayloadConverter.fromPayload(summary))] : [];
  });
}

test('an identical repeated booking is answered from the first result, without a second request, across continue-as-new', async () => {
  const workflowId = `rel-repeat-${randomUUID().slice(0, 8)}`;
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a flight and a hotel', continueAsNewAfterTurns: 1, context: { keepTurns: 1 } });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'repeat-answered');

  expect(outcome.status).toBe('completed');
  // One flight and one hotel: the repeats ran nothing, so they have no effect id.
  expect(outcome.effects.map((e) => [e.effectId, e.tool, e.state])).toEqual([
    [`${workflowId}/effect-1`, 'book_flight', 'committed'],
    [`${workflowId}/effect-2`, 'book_hotel', 'committed'],
  ]);
  const ledger = await ledgerOf(`${workflowId}/`);
  expect(ledger.effects.map((e) => [e.key, e.operation])).toEqual([
    [`${workflowId}/effect-1`, 'flight_booking'],
    [`${workflowId}/effect-2`, 'hotel_booking'],
  ]);
  // Claude was given the first booking's result, with a note; the same call twice in one turn ran once.
  const views = seen.get(workflowId)!;
  const first = views[1][0];
  expect(first.is_error).toBe(false);
  const bookingId = (first.json as { bookingId: string }).bookingId;
  expect(bookingId).toBeTruthy();
  const repeat = views[2][0];
  expect(repeat.is_error).toBe(false);
  expect(repeat.text).toMatch(/^\[not run again: this exact book_flight call already ran in this run \(.*effect-1\)/);
  expect(repeat.text).toContain(bookingId);
  expect(views[3].map((r) => [r.name, r.is_error, r.text.startsWith('[not run again') || (r.json as { error?: string } | undefined)?.error])).toEqual([
    ['book_flight', false, true],
    ['book_hotel', false, undefined],
    ['book_hotel', true, 'repeated_call'],
  ]);
});

test('a model repeating one invalid call is backed off, then the saga ends naming the loop', async () => {
  const workflowId = `rel-stuck-${randomUUID().slice(0, 8)}`;
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book a flight' });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'repeat-stuck');

  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/stuck in a loop: Claude made the same refused book_flight call 5 times \(invalid_arguments\)/);
  expect(outcome.steps).toBe(5);
  expect(outcome.effects).toEqual([]);
  // Backoffs of 1 s, 2 s and 4 s between the model calls (durable timers in the history), then the end.
  const history = await handle.fetchHistory();
  const timers = (history.events ?? []).flatMap((event) => {
    const timeout = event.timerStartedEventAttributes?.startToFireTimeout;
    return timeout ? [Number(timeout.seconds ?? 0) + (timeout.nanos ?? 0) / 1e9] : [];
  });
  expect(timers).toEqual([1, 2, 4]);
});

describe('budgets and people', () => {
  test('an approval given after the budget ran out does not run the tool', async () => {
    const workflowId = `rel-charge-late-${randomUUID().slice(0, 8)}`;
    // A cost limit the turn that asks for the charge spends, so the approval comes after the budget ran out.
    const handle = await harness.start(workflowId, {
      agent: 'travel',
      task: 'Charge the trip',
      budget: { maxCostUsd: TINY_USD, topUpTimeoutMs: 3000 },
      approval: { approvers: ['ana'] },
    });
    await approveCharge(handle);
    const parked = await harness.waitFor(handle, (s) => s.status === 'budget_exhausted');
    expect(parked.statusDetail).toMatch(/of \$1e-7 spent \(the approved charge_card has not run\)/);
    const outcome = await outcomeOf(handle);
    await captureFixture(handle, 'approval-after-budget');

    expect(outcome.status).toBe('compensated');
    expect(outcome.reason).toMatch(/no top-up came/);
    expect(outcome.effects).toEqual([]);
    expect((await ledgerOf(`${workflowId}/`)).effects).toEqual([]);
  });

  test('a top-up after a late approval runs the approved call once', async () => {
    const workflowId = `rel-charge-topup-${randomUUID().slice(0, 8)}`;
    const handle = await harness.start(workflowId, {
      agent: 'travel',
      task: 'Charge the trip',
      budget: { maxCostUsd: TINY_USD },
      approval: { approvers: ['ana'] },
    });
    await approveCharge(handle);
    await harness.waitFor(handle, (s) => s.status === 'budget_exhausted');
    expect((await ledgerOf(`${workflowId}/`)).effects).toEqual([]);
    await handle.executeUpdate(extendBudgetUpdate, { args: [{ by: 'ops', usd: 1 }] });
    const outcome = await outcomeOf(handle);

    expect(outcome.status).toBe('completed');
    expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['charge_card', 'committed']]);
    expect((await ledgerOf(`${workflowId}/`)).effects.map((e) => e.operation)).toEqual(['charge']);
  });

  // regression: with `maxSteps: 1`, a charge approved at once in the turn that asked for it parked the run instead.
  test("a call approved in the budget's last step runs; the run then waits for a top-up before its next step", async () => {
    const workflowId = `rel-charge-last-${randomUUID().slice(0, 8)}`;
    const handle = await harness.start(workflowId, { agent: 'travel', task: 'Charge the trip', budget: { maxSteps: 1 }, approval: { approvers: ['ana'] } });
    await approveCharge(handle);
    const parked = await harness.waitFor(handle, (s) => s.status === 'budget_exhausted');
    expect(parked.statusDetail).toMatch(/1 of 1 steps used/);
    expect(parked.statusDetail).not.toMatch(/has not run/);
    expect(parked.effects.map((e) => [e.tool, e.state])).toEqual([['charge_card', 'committed']]);
    expect((await ledgerOf(`${workflowId}/`)).effects.map((e) => e.operation)).toEqual(['charge']);
    await handle.executeUpdate(extendBudgetUpdate, { args: [{ by: 'ops', steps: 1 }] });
    const outcome = await outcomeOf(handle);
    await captureFixture(handle, 'approval-last-step');

    expect(outcome.status).toBe('completed');
    expect((await ledgerOf(`${workflowId}/`)).effects.map((e) => e.operation)).toEqual(['charge']);
  });

  test('waiting for a person does not spend the wall-clock budget', async () => {
    const workflowId = `rel-charge-slow-${randomUUID().slice(0, 8)}`;
    const handle = await harness.start(workflowId, {
      agent: 'travel',
      task: 'Charge the trip',
      // Room for the run's own work on a loaded machine (workflow tasks of seconds), not for the person's wait.
      budget: { maxWallClockMs: 10_000, topUpTimeoutMs: 1000 },
      approval: { approvers: ['ana'] },
    });
    await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
    // The approver takes longer than the whole wall-clock budget.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    await approveCharge(handle);
    const outcome = await outcomeOf(handle);

    expect(outcome.status).toBe('completed');
    expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['charge_card', 'committed']]);
  });
});

async function approveCharge(handle: WorkflowHandle): Promise<void> {
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const charge = state.pendingApprovals[0];
  expect(charge.tool).toBe('charge_card');
  await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
}

const ledgerOf = (prefix: string) => services.ledgerOf(harness.services.url, prefix);
const addFault = (rule: Record<string, unknown>) => services.addFault(harness.services.url, rule);
