/**
 * A run that continues as new several times with small carry limits, so its books are compacted on the way:
 * reversible, irreversible and refused effects land in early runs, Claude aborts in the last one, and the
 * rollback still undoes every reversible effect exactly once, newest first, across the runs. The readers say
 * what the books no longer list.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { ledgerLines } from '../../src/cli/ledger-view';
import { SagentClient } from '../../src/client';
import type { Scenario } from '../../src/dev/scenario';
import { decideUpdate, getStateQuery } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { runLedger } from '../helpers/services';

const call = (name: string, input: Record<string, unknown>) => ({ type: 'tool_use' as const, name, input });
const hotel = (checkIn: string, checkOut: string) => call('book_hotel', { city: 'Lisbon', checkIn, checkOut, guest: 'Ada Lovelace' });

/** Two turns per run: the ledger is compacted at each of the four continue-as-news. */
const scenarios: Scenario[] = [
  {
    name: 'long-compacted',
    match: { runIdPrefix: 'long-compacted-' },
    turns: [
      { content: [call('book_flight', { flightId: 'TP-1234', passenger: 'Ada Lovelace' })] }, // effect-1, reversible
      { content: [hotel('2026-07-06', '2026-07-03')] }, // effect-2, refused by the hotel: nothing to undo
      { content: [call('send_email', { to: 'ada@example.com', subject: 'Trip', body: 'Booked so far: a flight.' })] }, // effect-3, irreversible
      { content: [call('rent_car', { city: 'Lisbon', pickUp: '2026-07-03', dropOff: '2026-07-06', driver: 'Ada Lovelace' })] }, // effect-4
      { content: [hotel('2026-07-09', '2026-07-04')] }, // effect-5, refused
      { content: [call('get_weather', { city: 'Lisbon' })] },
      { content: [hotel('2026-07-03', '2026-07-06')] }, // effect-6, reversible
      { content: [call('search_flights', { from: 'LIS', to: 'OPO', date: '2026-07-06' })] },
      { content: [call('abort', { reason: 'the trip is off' })] },
    ],
  },
];

let harness: Harness;
let sagent: SagentClient;

beforeAll(async () => {
  harness = await startHarness('long-run', scenarios);
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
});
afterAll(() => harness?.stop());

test('a run compacted over four continue-as-news rolls back every reversible effect once, newest first', async () => {
  const workflowId = `long-compacted-${randomUUID().slice(0, 8)}`;
  const effectId = (seq: number) => `${workflowId}/effect-${seq}`;
  const handle = await harness.start(workflowId, {
    agent: 'travel',
    task: 'Book a trip to Lisbon, one step at a time',
    approval: { approvers: ['ana'] },
    continueAsNewAfterTurns: 2,
    carry: { timelineEntries: 4, settledEffects: 1, approvals: 1, callKeys: 2 },
  });
  await approveEmail(handle);
  const outcome = await outcomeOf(handle);
  const state = await handle.query(getStateQuery);

  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/the trip is off/);
  expect(state.continuedAsNew).toBe(4);
  expect(state.steps).toBe(9);

  // The ledger kept what a rollback needs: the reversible effects and the newest settled one, in order.
  expect(outcome.effects.map((e) => [e.seq, e.tool, e.state, e.compensation])).toEqual([
    [1, 'book_flight', 'committed', 'compensated'],
    [4, 'rent_car', 'committed', 'compensated'],
    [5, 'book_hotel', 'failed', 'not_needed'],
    [6, 'book_hotel', 'committed', 'compensated'],
  ]);
  // The refused hotel of the first run and the email of the second were left out, and counted.
  expect(outcome.compacted).toMatchObject({ effects: 2, effectOutcomes: { not_needed: 1, not_compensable: 1 }, effectsThroughSeq: 3 });
  expect(state.compacted?.timelineEntries).toBeGreaterThan(0);
  expect(state.compacted?.callKeys).toBeGreaterThan(0);

  // The services: every reversible effect undone exactly once, newest first; the email was not touched.
  const services = await runLedger(harness.services.url, workflowId);
  const undos = [...services.undos].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  expect(undos.map((undo) => [undo.targetKey, undo.result])).toEqual([
    [effectId(6), 'compensated'],
    [effectId(4), 'compensated'],
    [effectId(1), 'compensated'],
  ]);
  expect(services.effects.map((e) => [e.key, e.state]).sort()).toEqual(
    [
      [effectId(1), 'undone'],
      [effectId(3), 'active'],
      [effectId(4), 'undone'],
      [effectId(6), 'undone'],
    ].sort(),
  );

  // `sagent ledger` says plainly that older, settled effects are not listed.
  const ledger = await sagent.ledger(workflowId);
  expect(ledger.compacted).toEqual({ effects: 2, effectOutcomes: { not_needed: 1, not_compensable: 1 }, effectsThroughSeq: 3 });
  expect(ledgerLines(ledger).join('\n')).toContain('2 earlier effects (through effect-3) compacted: 1 not_needed, 1 not_compensable; nothing left to undo');
  await captureFixture(handle, 'long-compacted');
}, 120_000);

async function approveEmail(handle: WorkflowHandle): Promise<void> {
  const state = await harness.waitFor(handle, (s) => s.pendingApprovals[0]?.tool === 'send_email', 60_000);
  const email = state.pendingApprovals[0];
  await handle.executeUpdate(decideUpdate, { args: [{ callId: email.callId, argsHash: email.argsHash, decision: 'approve', approver: 'ana' }] });
}
