/**
 * Human approval, decided: approve, reject (update and signal), fatal rejection, expiry under each policy,
 * approve with an edit, and several requests pending at once. Side effects are counted in the services'
 * ledger, so "ran exactly once" and "nothing ran" are read from the world, not from the workflow's word.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { captureFixture } from '../helpers/fixtures';
import { runEffects } from '../helpers/services';
import type { RespondingScenario, TurnContext, TurnSpec } from '../../src/dev/scenario';
import { argsHashOf } from '../../src/policies/canonical';
import { approvalSignal, decideUpdate, type ApprovalDecision, type PendingApproval, type RunState } from '../../src/shared/contracts';

const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Lisbon trip, 14-17 May' };
const EMAIL = { to: 'ada@example.com', subject: 'Your Lisbon trip', body: 'Flight, hotel and car are booked.' };
const HOTEL = { city: 'Lisbon', checkIn: '2026-05-14', checkOut: '2026-05-17', guest: 'Ada Lovelace' };
const APPROVERS = { approvers: ['ana', 'bob'] };

type Turn = TurnSpec | ((ctx: TurnContext) => TurnSpec);

const say = (text: string): TurnSpec => ({ content: [{ type: 'text', text }] });
const call = (name: string, input: Record<string, unknown>, text = `Calling ${name}.`): TurnSpec => ({
  content: [
    { type: 'text', text },
    { type: 'tool_use', name, input },
  ],
});

/** A scripted Claude for runs whose id starts with `prefix`; past its turns it ends the run. */
function scripted(prefix: string, turns: Turn[]): RespondingScenario {
  return {
    name: prefix,
    match: { runIdPrefix: prefix },
    respond: (ctx) => {
      const turn = turns[ctx.turn - 1];
      if (!turn) return say('Done.');
      return typeof turn === 'function' ? turn(ctx) : turn;
    },
  };
}

/** Turn 2 of a charge that may be refused: Claude checks the weather instead, or reports the charge. */
const adaptAfterCharge = (ctx: TurnContext): TurnSpec => {
  const charge = ctx.lastToolResults.find((result) => result.name === 'charge_card');
  return charge?.is_error ? call('get_weather', { city: 'Lisbon' }, 'The charge did not go through; I will not retry it.') : say('Charged.');
};

const scenarios: RespondingScenario[] = [
  scripted('approve-', [call('charge_card', CHARGE)]),
  scripted('reject-update-', [call('charge_card', CHARGE), adaptAfterCharge, say('I did not charge the card; here is the weather instead.')]),
  scripted('reject-signal-', [call('charge_card', CHARGE), adaptAfterCharge, say('I did not charge the card; here is the weather instead.')]),
  scripted('fatal-', [call('book_hotel', HOTEL), call('charge_card', CHARGE), say('Should never be asked.')]),
  scripted('expire-reject-', [call('charge_card', CHARGE), adaptAfterCharge, say('Nobody approved the charge in time.')]),
  scripted('expire-abort-', [call('book_hotel', HOTEL), call('charge_card', CHARGE), say('Should never be asked.')]),
  scripted('expire-escalate-', [call('charge_card', CHARGE)]),
  scripted('edit-', [call('charge_card', CHARGE)]),
  scripted('parallel-', [
    {
      content: [
        { type: 'text', text: 'Charging and confirming.' },
        { type: 'tool_use', name: 'charge_card', input: CHARGE },
        { type: 'tool_use', name: 'send_email', input: EMAIL },
      ],
    },
  ]),
];

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('approval-decisions', scenarios);
});
afterAll(() => harness?.stop());

let counter = 0;
const idFor = (prefix: string) => `${prefix}${Date.now()}-${++counter}`;

/** Every side effect the services recorded for this run. */
const ledgerOf = (handle: WorkflowHandle) => runEffects(harness.services.url, handle);

const pendingOf = (state: RunState, tool: string): PendingApproval => {
  const request = state.pendingApprovals.find((candidate) => candidate.tool === tool);
  if (!request) throw new Error(`no pending ${tool} in ${JSON.stringify(state.pendingApprovals)}`);
  return request;
};

const awaiting = (tool: string) => (state: RunState) => state.status === 'awaiting_approval' && state.pendingApprovals.some((request) => request.tool === tool);

const decision = (request: PendingApproval, rest: Pick<ApprovalDecision, 'decision' | 'approver'> & Partial<ApprovalDecision>): ApprovalDecision => ({
  callId: request.callId,
  argsHash: request.argsHash,
  ...rest,
});

/** The tool_result blocks Claude was sent for `turn` of this run. */
function resultsSentAt(handle: WorkflowHandle, turn: number): { tool_use_id: string; is_error?: boolean; content: string }[] {
  const requests = harness.model.requests.filter((request) => request.runId === handle.workflowId && request.turn === turn);
  expect(requests.length).toBeGreaterThanOrEqual(1);
  const body = requests[0].body as { messages: { role: string; content: { type: string }[] }[] };
  const last = body.messages.at(-1)!;
  expect(last.role).toBe('user');
  return last.content.filter((block) => block.type === 'tool_result') as never;
}

async function refusalOf(promise: Promise<unknown>): Promise<{ name: string; why: string }> {
  const err = await promise.then(
    () => {
      throw new Error('the update was accepted, but it should have been refused');
    },
    (error: { name: string; cause?: { message: string } }) => error,
  );
  return { name: err.name, why: err.cause?.message ?? '' };
}

test('an approved call runs exactly once, with the approved input', async () => {
  const handle = await harness.start(idFor('approve-'), { agent: 'travel', task: 'Charge my card for the trip', approval: APPROVERS });
  const state = await harness.waitFor(handle, awaiting('charge_card'));
  const charge = pendingOf(state, 'charge_card');
  expect(charge.argsHash).toBe(argsHashOf({ tool: 'charge_card', input: CHARGE, effectId: `${handle.workflowId}/effect-1` }));
  expect(await ledgerOf(handle)).toEqual([]);

  const result = await handle.executeUpdate(decideUpdate, { args: [decision(charge, { decision: 'approve', approver: 'ana', reason: 'looks right' })] });
  expect(result).toEqual({ callId: charge.callId, decision: 'approve', argsHash: charge.argsHash });

  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  const ledger = await ledgerOf(handle);
  expect(ledger.map((effect) => [effect.key, effect.operation, effect.request.amountCents])).toEqual([[`${handle.workflowId}/effect-1`, 'charge', 41250]]);
  expect(outcome.approvals).toEqual([
    expect.objectContaining({ callId: charge.callId, decision: 'approve', approver: 'ana', reason: 'looks right', argsHash: charge.argsHash }),
  ]);
  const [sent] = resultsSentAt(handle, 2);
  expect(sent.is_error).toBeFalsy();
  expect(JSON.parse(sent.content)).toMatchObject({ amountCents: 41250, status: 'succeeded' });
});

describe.each([
  ['update', 'reject-update-'],
  ['signal', 'reject-signal-'],
] as const)('a call rejected by %s', (via, prefix) => {
  test('reaches Claude as an is_error result naming the approver and reason; nothing runs; Claude goes another way', async () => {
    const handle = await harness.start(idFor(prefix), { agent: 'travel', task: 'Charge my card for the trip', approval: APPROVERS });
    const state = await harness.waitFor(handle, awaiting('charge_card'));
    const charge = pendingOf(state, 'charge_card');
    const reject = decision(charge, { decision: 'reject', approver: 'bob', reason: 'the amount is over the trip budget' });
    if (via === 'update') await handle.executeUpdate(decideUpdate, { args: [reject] });
    else await handle.signal(approvalSignal, reject);

    const outcome = await outcomeOf(handle);
    if (via === 'update') await captureFixture(handle, 'approval-rejected');
    expect(outcome.status).toBe('completed');
    expect(outcome.finalText).toBe('I did not charge the card; here is the weather instead.');
    expect(await ledgerOf(handle)).toEqual([]);
    expect(outcome.effects).toEqual([]);

    const [sent] = resultsSentAt(handle, 2);
    expect(sent.is_error).toBe(true);
    expect(JSON.parse(sent.content)).toMatchObject({
      error: 'approval_rejected',
      approver: 'bob',
      reason: 'the amount is over the trip budget',
      message: expect.stringContaining('bob'),
    });
    // Claude went another way: a read-only weather check, then the final answer.
    const third = harness.model.requests.find((request) => request.runId === handle.workflowId && request.turn === 3);
    const thirdBody = third?.body as { messages: { role: string; content: { type: string; name?: string }[] }[] };
    expect(
      thirdBody.messages
        .at(-2)!
        .content.filter((block) => block.type === 'tool_use')
        .map((block) => block.name),
    ).toEqual(['get_weather']);
    expect(outcome.approvals).toEqual([expect.objectContaining({ callId: charge.callId, decision: 'reject', approver: 'bob' })]);
  });
});

test('with rejectionIsFatal a rejection rolls the saga back', async () => {
  const handle = await harness.start(idFor('fatal-'), {
    agent: 'travel',
    task: 'Book the hotel and charge my card',
    approval: { ...APPROVERS, rejectionIsFatal: true },
  });
  const state = await harness.waitFor(handle, awaiting('charge_card'));
  await handle.executeUpdate(decideUpdate, {
    args: [decision(pendingOf(state, 'charge_card'), { decision: 'reject', approver: 'ana', reason: 'not this trip' })],
  });

  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/charge_card was rejected by ana: not this trip/);
  expect(outcome.effects.map((effect) => [effect.tool, effect.state, effect.compensation])).toEqual([['book_hotel', 'committed', 'compensated']]);
  const ledger = await ledgerOf(handle);
  expect(ledger.map((effect) => [effect.operation, effect.state])).toEqual([['hotel_booking', 'undone']]);
  // Claude was never asked again after the rejection.
  expect(harness.model.requests.filter((request) => request.runId === handle.workflowId && request.turn === 3)).toEqual([]);
});

describe('expiry', () => {
  test("onExpiry 'reject' tells Claude the call expired, and nothing runs", async () => {
    const handle = await harness.start(idFor('expire-reject-'), {
      agent: 'travel',
      task: 'Charge my card for the trip',
      approval: { ...APPROVERS, timeoutMs: 1500, onExpiry: 'reject' },
    });
    const outcome = await outcomeOf(handle);
    await captureFixture(handle, 'approval-expired');
    expect(outcome.status).toBe('completed');
    expect(outcome.finalText).toBe('Nobody approved the charge in time.');
    expect(await ledgerOf(handle)).toEqual([]);
    const [sent] = resultsSentAt(handle, 2);
    expect(sent.is_error).toBe(true);
    expect(JSON.parse(sent.content)).toMatchObject({ error: 'approval_expired' });
    expect(outcome.approvals).toEqual([expect.objectContaining({ tool: 'charge_card', decision: 'expired', approver: null })]);
  });

  test("onExpiry 'abort' rolls the saga back", async () => {
    const handle = await harness.start(idFor('expire-abort-'), {
      agent: 'travel',
      task: 'Book the hotel and charge my card',
      approval: { ...APPROVERS, timeoutMs: 1500, onExpiry: 'abort' },
    });
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('compensated');
    expect(outcome.reason).toMatch(/approval of charge_card \(call-2\) expired/);
    expect(outcome.effects.map((effect) => [effect.tool, effect.compensation])).toEqual([['book_hotel', 'compensated']]);
    const ledger = await ledgerOf(handle);
    expect(ledger.map((effect) => [effect.operation, effect.state])).toEqual([['hotel_booking', 'undone']]);
    expect(outcome.approvals).toEqual([expect.objectContaining({ tool: 'charge_card', decision: 'expired' })]);
  });

  test("onExpiry 'escalate' waits a second period, and a decision inside it still works", async () => {
    const handle = await harness.start(idFor('expire-escalate-'), {
      agent: 'travel',
      task: 'Charge my card for the trip',
      approval: { ...APPROVERS, timeoutMs: 1500, onExpiry: 'escalate', escalationTimeoutMs: 30_000 },
    });
    const first = pendingOf(await harness.waitFor(handle, awaiting('charge_card')), 'charge_card');
    expect(first.escalated).toBe(false);
    const state = await harness.waitFor(handle, (s) => s.pendingApprovals[0]?.escalated === true, 15_000);
    const escalated = pendingOf(state, 'charge_card');
    // The second period starts where the first ended: escalation is the first period's expiry, not an early fire.
    expect(Date.parse(escalated.expiresAt) - Date.parse(first.expiresAt)).toBe(30_000);
    expect(state.status).toBe('awaiting_approval');
    const approvalEvents = state.timeline.map((entry) => entry.title).filter((title) => title.startsWith('approval') && title.includes('charge_card'));
    expect(approvalEvents.map((title) => title.split(':')[0])).toEqual(['approval requested', 'approval escalated']);
    expect(await ledgerOf(handle)).toEqual([]);

    await handle.executeUpdate(decideUpdate, { args: [decision(escalated, { decision: 'approve', approver: 'bob' })] });
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('completed');
    expect((await ledgerOf(handle)).map((effect) => effect.operation)).toEqual(['charge']);
    expect(outcome.approvals).toEqual([expect.objectContaining({ decision: 'approve', approver: 'bob' })]);
  });
});

test('approve with an edit: an invalid edit is refused and the call stays pending; a valid one runs as edited', async () => {
  const handle = await harness.start(idFor('edit-'), { agent: 'travel', task: 'Charge my card for the trip', approval: APPROVERS });
  const charge = pendingOf(await harness.waitFor(handle, awaiting('charge_card')), 'charge_card');

  const invalid = await refusalOf(
    handle.executeUpdate(decideUpdate, { args: [decision(charge, { decision: 'approve', approver: 'ana', editedInput: { ...CHARGE, amountCents: -5 } })] }),
  );
  expect(invalid.name).toBe('WorkflowUpdateFailedError');
  expect(invalid.why).toMatch(/the edited input is invalid: amountCents/);
  let state = await harness.waitFor(handle, awaiting('charge_card'));
  expect(state.pendingApprovals.map((request) => request.callId)).toEqual([charge.callId]);
  expect(state.approvals).toEqual([]);
  expect(await ledgerOf(handle)).toEqual([]);

  // Unknown keys are dropped by the schema and strings trimmed: what runs is the parsed edit.
  const edited = { ...CHARGE, amountCents: 30000, description: '  Lisbon trip, hotel only  ', note: 'ignored' };
  const result = await handle.executeUpdate(decideUpdate, {
    args: [decision(charge, { decision: 'approve', approver: 'ana', reason: 'hotel only', editedInput: edited })],
  });
  const normalised = { ...CHARGE, amountCents: 30000, description: 'Lisbon trip, hotel only' };
  const editedHash = argsHashOf({ tool: 'charge_card', input: normalised, effectId: `${handle.workflowId}/effect-1` });
  expect(result).toEqual({ callId: charge.callId, decision: 'approve', argsHash: editedHash });

  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'approval-edited');
  expect(outcome.status).toBe('completed');
  const ledger = await ledgerOf(handle);
  expect(ledger).toHaveLength(1);
  expect(ledger[0].request).toMatchObject({ amountCents: 30000, description: 'Lisbon trip, hotel only' });
  expect(outcome.effects.map((effect) => effect.input)).toEqual([{ ...normalised, card: '•••• 4242' }]);
  expect(outcome.approvals).toEqual([
    expect.objectContaining({ callId: charge.callId, decision: 'approve', argsHash: charge.argsHash, editedArgsHash: editedHash }),
  ]);
  state = await handle.query('getState');
  expect(state.approvals[0].editedArgsHash).not.toBe(charge.argsHash);
});

test('several pending approvals are listed together, decided in any order, and run in Claude’s order', async () => {
  const handle = await harness.start(idFor('parallel-'), { agent: 'travel', task: 'Charge my card and confirm by email', approval: APPROVERS });
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval' && s.pendingApprovals.length === 2);
  expect(state.pendingApprovals.map((request) => [request.callId, request.tool])).toEqual([
    ['call-1', 'charge_card'],
    ['call-2', 'send_email'],
  ]);
  const [charge, email] = state.pendingApprovals;

  // The second call is approved first; it must still wait for the first.
  await handle.executeUpdate(decideUpdate, { args: [decision(email, { decision: 'approve', approver: 'bob' })] });
  const between = await harness.waitFor(handle, (s) => s.pendingApprovals.length === 1);
  expect(between.pendingApprovals.map((request) => request.callId)).toEqual(['call-1']);
  expect(between.status).toBe('awaiting_approval');
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await ledgerOf(handle)).toEqual([]);

  await handle.signal(approvalSignal, decision(charge, { decision: 'approve', approver: 'ana' }));
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'approval-parallel');
  expect(outcome.status).toBe('completed');
  const ledger = await ledgerOf(handle);
  expect(ledger.map((effect) => [effect.key, effect.operation])).toEqual([
    [`${handle.workflowId}/effect-1`, 'charge'],
    [`${handle.workflowId}/effect-2`, 'email'],
  ]);
  expect(outcome.effects.map((effect) => effect.tool)).toEqual(['charge_card', 'send_email']);
  expect(outcome.approvals.map((record) => [record.callId, record.approver])).toEqual([
    ['call-2', 'bob'],
    ['call-1', 'ana'],
  ]);
  // Both results go back to Claude in its original order.
  const sent = resultsSentAt(handle, 2);
  expect(sent.map((block) => block.is_error ?? false)).toEqual([false, false]);
  expect(JSON.parse(sent[0].content)).toMatchObject({ amountCents: 41250 });
});
