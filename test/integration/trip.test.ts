import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { loadScenarioDir } from '../../src/dev/scenario';
import { decideUpdate } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('trip', loadScenarioDir('src/demo/scenarios'));
});
afterAll(() => harness?.stop());

test('the happy trip books, waits for approval of the charge, and completes', async () => {
  const handle = await harness.start(`happy-${Date.now()}`, { agent: 'travel', task: 'Plan my trip to Lisbon', approval: { approvers: ['ana'] } });
  let state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  expect(state.pendingApprovals.map((p) => p.tool)).toEqual(['charge_card']);
  expect(state.effects.map((e) => [e.tool, e.state])).toEqual([
    ['book_flight', 'committed'],
    ['book_hotel', 'committed'],
    ['rent_car', 'committed'],
  ]);
  const charge = state.pendingApprovals[0];
  await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
  state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval' && s.pendingApprovals[0]?.tool === 'send_email');
  const email = state.pendingApprovals[0];
  await handle.executeUpdate(decideUpdate, { args: [{ callId: email.callId, argsHash: email.argsHash, decision: 'approve', approver: 'ana' }] });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'happy-trip');
  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((e) => e.tool)).toEqual(['book_flight', 'book_hotel', 'rent_car', 'charge_card', 'send_email']);
});

test('the unlucky trip has its card declined and is rolled back newest-first', async () => {
  const handle = await harness.start(`unlucky-${Date.now()}`, { agent: 'travel', task: 'Plan my trip to Porto', approval: { approvers: ['ana'] } });
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const charge = state.pendingApprovals[0];
  await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'unlucky-trip');
  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/charge_card failed and is critical/);
  const byTool = Object.fromEntries(outcome.effects.map((e) => [e.tool, [e.state, e.compensation]]));
  expect(byTool).toEqual({
    book_flight: ['committed', 'compensated'],
    book_hotel: ['committed', 'compensated'],
    rent_car: ['committed', 'compensated'],
    charge_card: ['failed', 'not_needed'],
  });
  const final = (await handle.query('getState')) as { timeline: { kind: string; title: string }[] };
  const undone = final.timeline.filter((t) => t.kind === 'compensation' && t.title.startsWith('undo')).map((t) => t.title.split(' ')[1]);
  expect(undone).toEqual(['rent_car', 'book_hotel', 'book_flight']);
});
