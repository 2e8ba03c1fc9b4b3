/**
 * A failure at each step of a four-step trip (flight, hotel, car, charge), in each of three ways, ends the
 * saga with exactly the effects that landed undone, newest first, each once, and nothing else touched.
 *
 * The ways:
 * - `rejected`: the service refuses before anything happens (a 4xx, final). The step's effect is `failed`
 *   and needs no undo. A reversible tool's refusal goes back to Claude, which aborts; the declined card is a
 *   refusal of the critical `charge_card`, which ends the saga by itself.
 * - `response lost once`: the effect lands but its response is dropped (`commitThenDrop`, once); the retry
 *   with the same Idempotency-Key gets the stored response, so there is one effect; then Claude aborts.
 * - `outcome unknown`: the effect lands and every response is dropped until the retries run out. Claude is
 *   told the outcome is unknown and aborts; for the critical `charge_card` the saga ends by itself. Either way
 *   the effect that did land is undone (guarantee 3: registered before the step).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario, ToolResultSeen } from '../../src/dev/scenario';
import { decideUpdate, getStateQuery, type RunState } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { ledgerOf as readLedger } from '../helpers/services';

type Way = 'rejected' | 'response lost once' | 'outcome unknown';

interface Row {
  way: Way;
  /** 1-based: the step that fails. */
  step: number;
}

const STEPS = [
  { tool: 'book_flight', path: '/flights/bookings', operation: 'flight_booking', input: { flightId: 'TP-1234', passenger: 'Ada Lovelace' } },
  {
    tool: 'book_hotel',
    path: '/hotels/bookings',
    operation: 'hotel_booking',
    input: { city: 'Lisbon', checkIn: '2026-07-03', checkOut: '2026-07-06', guest: 'Ada Lovelace' },
  },
  {
    tool: 'rent_car',
    path: '/cars/rentals',
    operation: 'car_rental',
    input: { city: 'Lisbon', pickUp: '2026-07-03', dropOff: '2026-07-06', driver: 'Ada Lovelace' },
  },
  {
    tool: 'charge_card',
    path: '/payments/charges',
    operation: 'charge',
    input: { amountCents: 41250, currency: 'EUR', card: '4242 4242 4242 4242', description: 'Lisbon trip' },
  },
] as const;

/** Inputs the services refuse with a 4xx although they pass the tools' schemas. */
const REFUSED_INPUT: Record<number, unknown> = {
  2: { ...STEPS[1].input, checkOut: '2026-07-01' },
  3: { ...STEPS[2].input, dropOff: '2026-07-01' },
  4: { ...STEPS[3].input, card: '4000000000000002' },
};

const CRITICAL = 4;

const rows = new Map<string, Row>();
/** What Claude was shown in the turn where it aborted, by workflow id. */
const seenByClaude = new Map<string, ToolResultSeen[]>();

const trip: RespondingScenario = {
  name: 'saga-failures',
  match: { runIdPrefix: 'saga-fail-' },
  respond(ctx) {
    const row = rows.get(ctx.runId ?? '');
    if (!row) throw new Error(`no row for run ${ctx.runId}`);
    if (ctx.turn <= row.step) {
      const step = STEPS[ctx.turn - 1];
      const refused = row.way === 'rejected' && ctx.turn === row.step ? REFUSED_INPUT[ctx.turn] : undefined;
      return { content: [{ type: 'tool_use', name: step.tool, input: (refused ?? step.input) as Record<string, unknown> }] };
    }
    seenByClaude.set(ctx.runId!, ctx.lastToolResults);
    return { content: [{ type: 'tool_use', name: 'abort', input: { reason: `step ${row.step} did not go as planned` } }] };
  },
};

let harness: Harness;
const BYSTANDER_KEY = `bystander-${randomUUID()}`;

beforeAll(async () => {
  harness = await startHarness('saga-failures', [trip]);
  // Someone else's booking on the same services: no rollback may touch it.
  const booked = await services('POST', '/hotels/bookings', STEPS[1].input, BYSTANDER_KEY);
  expect(booked.status).toBe(201);
});
afterAll(() => harness?.stop());

const table: Array<[Way, number]> = (['rejected', 'response lost once', 'outcome unknown'] as const).flatMap((way) =>
  [1, 2, 3, 4].map((step): [Way, number] => [way, step]),
);

test.each(table)('%s at step %i: the effects that landed are undone newest-first, once each', async (way, step) => {
  const workflowId = `saga-fail-${way.split(' ')[0]}${step}-${randomUUID().slice(0, 8)}`;
  const effectId = (seq: number) => `${workflowId}/effect-${seq}`;
  rows.set(workflowId, { way, step });
  const failing = STEPS[step - 1];
  if (way === 'rejected' && step === 1) {
    // A flight booking the airline refuses: its key was undone before any request used it (410, final).
    const voided = await services('POST', '/effects/undo', { key: effectId(1) }, `pre-void-${workflowId}`);
    expect(voided.body).toMatchObject({ result: 'not_needed' });
  }
  if (way === 'response lost once') await addFault({ path: failing.path, keyPrefix: effectId(step), mode: 'commitThenDrop', times: 1 });
  if (way === 'outcome unknown') await addFault({ path: failing.path, keyPrefix: effectId(step), mode: 'commitThenDrop' });

  const handle = await harness.start(workflowId, { agent: 'travel', task: `Book a trip to Lisbon (${way} at step ${step})`, approval: { approvers: ['ana'] } });
  if (step === 4) await approveCharge(handle);
  const outcome = await outcomeOf(handle);
  const state = await handle.query(getStateQuery);
  if (way === 'rejected' && step === CRITICAL) await captureFixture(handle, 'saga-critical-failure');

  const landed = way === 'rejected' ? step - 1 : step;
  const landedIds = range(landed).map(effectId);
  const newestFirst = [...landedIds].reverse();

  // The run's outcome: compensated, for the right reason, with each effect's fate.
  expect(outcome.status).toBe('compensated');
  expect(state.status).toBe('compensated');
  expect(outcome.reason).toMatch(endsBySelf(way, step) ? /charge_card failed and is critical/ : /^Claude aborted/);
  const failedState = way === 'rejected' ? 'failed' : way === 'outcome unknown' ? 'unknown' : 'committed';
  expect(outcome.effects.map((e) => [e.effectId, e.tool, e.state, e.compensation])).toEqual(
    range(step).map((seq) => [
      effectId(seq),
      STEPS[seq - 1].tool,
      seq === step ? failedState : 'committed',
      seq === step && way === 'rejected' ? 'not_needed' : 'compensated',
    ]),
  );

  // What Claude was shown before it aborted.
  if (!endsBySelf(way, step)) {
    const seen = seenByClaude.get(workflowId)!;
    expect(seen.map((result) => [result.name, result.is_error])).toEqual([[failing.tool, way !== 'response lost once']]);
    if (way === 'rejected') expect(seen[0].json).toMatchObject({ error: 'tool_failed' });
    if (way === 'outcome unknown') expect(seen[0].json).toMatchObject({ error: 'tool_outcome_unknown' });
    if (way === 'response lost once') expect(seen[0].text).toMatch(/"status":"confirmed"|"status":"succeeded"/);
  }

  // The services: one effect per step that landed, each undone exactly once, newest first, nothing else.
  const ledger = await ledgerOf(`${workflowId}/`);
  expect(ledger.effects.map((e) => [e.key, e.operation, e.state])).toEqual(landedIds.map((key, i) => [key, STEPS[i].operation, 'undone']));
  const runUndos = ledger.undos.filter((undo) => undo.key.startsWith(`${workflowId}/`));
  expect(runUndos.map((undo) => [undo.targetKey, undo.result])).toEqual(newestFirst.map((key) => [key, 'compensated']));
  expect(undoneInTimeline(state)).toEqual(newestFirst);
  const bystander = await ledgerOf(BYSTANDER_KEY);
  expect(bystander.effects.map((e) => e.state)).toEqual(['active']);
  expect(bystander.undos).toEqual([]);
});

/** The declined card and the charge whose outcome stays unknown end the saga without asking Claude. */
function endsBySelf(way: Way, step: number): boolean {
  return step === CRITICAL && way !== 'response lost once';
}

async function approveCharge(handle: WorkflowHandle): Promise<void> {
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const charge = state.pendingApprovals[0];
  expect(charge.tool).toBe('charge_card');
  await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
}

function undoneInTimeline(state: RunState): string[] {
  return state.timeline
    .filter((entry) => entry.kind === 'compensation' && entry.title.startsWith('undo ') && entry.state === 'ok')
    .map((entry) => entry.effectId!);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

const ledgerOf = (prefix: string) => readLedger(harness.services.url, prefix);

async function addFault(rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${harness.services.url}/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  expect(response.status).toBe(201);
}

async function services(method: 'POST', path: string, body: unknown, key: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${harness.services.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
