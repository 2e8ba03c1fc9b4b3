/**
 * Approvals under attack (DESIGN.md, guarantee 4): every forged, replayed, late, foreign, misaimed or
 * doubled decision leaves zero unauthorised executions in the services' ledger, and is visible: a refused
 * update says why (and leaves no event in history), a refused signal is kept in `rejectedAttempts`.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { runEffects } from '../helpers/services';
import type { RespondingScenario, TurnSpec } from '../../src/dev/scenario';
import { argsHashOf } from '../../src/policies/canonical';
import { approvalSignal, decideUpdate, getStateQuery, type ApprovalDecision, type PendingApproval, type RunState } from '../../src/shared/contracts';

const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Lisbon trip, 14-17 May' };
const EMAIL = { to: 'ada@example.com', subject: 'Your Lisbon trip', body: 'Flight, hotel and car are booked.' };
const APPROVAL = { approvers: ['ana', 'bob'] };

const say = (text: string): TurnSpec => ({ content: [{ type: 'text', text }] });

/** Claude asks for a charge and an email in one turn (calls call-1 and call-2), then ends. */
const twoCalls: RespondingScenario = {
  name: 'attack',
  match: { runIdPrefix: 'attack-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? {
          content: [
            { type: 'text', text: 'Charging, then confirming.' },
            { type: 'tool_use', name: 'charge_card', input: CHARGE },
            { type: 'tool_use', name: 'send_email', input: EMAIL },
          ],
        }
      : say('Done.'),
};

/** One charge; after it expires Claude thinks for a while, so the run is still open when a late approval comes. */
const lateCharge: RespondingScenario = {
  name: 'late',
  match: { runIdPrefix: 'late-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? {
          content: [
            { type: 'text', text: 'Charging.' },
            { type: 'tool_use', name: 'charge_card', input: CHARGE },
          ],
        }
      : { ...say('Nobody approved the charge in time.'), delayMs: 6000 },
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('approval-attacks', [twoCalls, lateCharge]);
});
afterAll(() => harness?.stop());

let counter = 0;
const idFor = (prefix: string) => `${prefix}${Date.now()}-${++counter}`;

const ledgerOf = (handle: WorkflowHandle) => runEffects(harness.services.url, handle);

async function acceptedUpdates(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes != null).length;
}

const decision = (request: PendingApproval, rest: Partial<ApprovalDecision>): ApprovalDecision => ({
  callId: request.callId,
  argsHash: request.argsHash,
  decision: 'approve',
  approver: 'ana',
  ...rest,
});

/** Starts a run and waits until both calls of its turn wait for approval. */
async function startTwoCalls(): Promise<{ handle: WorkflowHandle; charge: PendingApproval; email: PendingApproval }> {
  const handle = await harness.start(idFor('attack-'), { agent: 'travel', task: 'Charge my card and confirm by email', approval: APPROVAL });
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval' && s.pendingApprovals.length === 2);
  const [charge, email] = state.pendingApprovals;
  expect([charge.tool, email.tool]).toEqual(['charge_card', 'send_email']);
  return { handle, charge, email };
}

/** Sends a decision as an update that must be refused; returns the reason, and checks history did not grow. */
async function refusedUpdate(handle: WorkflowHandle, attempt: ApprovalDecision): Promise<string> {
  const before = await acceptedUpdates(handle);
  const err = await handle.executeUpdate(decideUpdate, { args: [attempt] }).then(
    () => {
      throw new Error(`the update ${JSON.stringify(attempt)} was accepted, but it should have been refused`);
    },
    (error: { name: string; cause?: { message: string } }) => error,
  );
  expect(err.name).toBe('WorkflowUpdateFailedError');
  expect(await acceptedUpdates(handle)).toBe(before);
  return err.cause?.message ?? '';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(() => resolve(), ms));

/** Polls the run's state until `until` holds; a query that hangs (a failing workflow task) counts against the deadline. */
async function stateWithin(handle: WorkflowHandle, until: (state: RunState) => boolean, timeoutMs: number, what: string): Promise<RunState> {
  const deadline = Date.now() + timeoutMs;
  let last: RunState | undefined;
  while (Date.now() < deadline) {
    const answer = await harness.client.withDeadline(Math.max(deadline, Date.now() + 500), () => handle.query(getStateQuery)).catch(() => undefined);
    if (answer) last = answer;
    if (answer && until(answer)) return answer;
    await sleep(150);
  }
  throw new Error(`waited ${timeoutMs} ms for ${what}; the run ${last ? `is ${last.status}` : 'answered no query (is its workflow task failing?)'}`);
}

/** Sends a decision as a signal that must be refused; returns the recorded attempt. */
async function refusedSignal(handle: WorkflowHandle, attempt: ApprovalDecision): Promise<RunState['rejectedAttempts'][number]> {
  const before = ((await handle.query('getState')) as RunState).rejectedAttempts.length;
  await handle.signal(approvalSignal, attempt);
  const state = await stateWithin(handle, (s) => s.rejectedAttempts.length > before, 8000, 'the refused signal to be recorded');
  expect(state.rejectedAttempts).toHaveLength(before + 1);
  const recorded = state.rejectedAttempts.at(-1)!;
  expect(recorded).toMatchObject({ callId: attempt.callId, approver: attempt.approver, via: 'signal' });
  return recorded;
}

/** Ends the run with legitimate rejections of whatever still waits, and returns its outcome. */
async function rejectTheRest(handle: WorkflowHandle) {
  for (;;) {
    const state = (await handle.query('getState')) as RunState;
    const [next] = state.pendingApprovals;
    if (!next) break;
    await handle.executeUpdate(decideUpdate, { args: [decision(next, { decision: 'reject', approver: 'bob', reason: 'closing the test run' })] });
  }
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  return outcome;
}

const stillPending = async (handle: WorkflowHandle) => ((await handle.query('getState')) as RunState).pendingApprovals.map((request) => request.callId);

test('a decision with the wrong argsHash is refused (update) and recorded (signal); nothing runs', async () => {
  const { handle, charge } = await startTwoCalls();
  // What an approver would have approved had Claude asked for 1 cent: the hash binds the exact call.
  const forged = argsHashOf({ tool: 'charge_card', input: { ...CHARGE, amountCents: 1 }, effectId: `${handle.workflowId}/effect-1` });
  expect(await refusedUpdate(handle, decision(charge, { argsHash: forged }))).toMatch(/argsHash does not match call call-1/);
  expect((await refusedSignal(handle, decision(charge, { argsHash: forged }))).why).toMatch(/argsHash does not match call call-1/);
  expect(await stillPending(handle)).toEqual(['call-1', 'call-2']);
  expect(await ledgerOf(handle)).toEqual([]);
  const outcome = await rejectTheRest(handle);
  expect(await ledgerOf(handle)).toEqual([]);
  expect(outcome.approvals.map((record) => record.decision)).toEqual(['reject', 'reject']);
});

test('a replayed approval is refused (update) and recorded (signal); the call runs exactly once', async () => {
  const { handle, charge } = await startTwoCalls();
  const approval = decision(charge, { approver: 'ana' });
  await handle.executeUpdate(decideUpdate, { args: [approval] });
  await harness.waitFor(handle, (s) => s.effects.some((effect) => effect.tool === 'charge_card' && effect.state === 'committed'));

  expect(await refusedUpdate(handle, approval)).toMatch(/no pending approval for call call-1 \(unknown or already decided\)/);
  expect((await refusedSignal(handle, approval)).why).toMatch(/no pending approval for call call-1/);
  expect(await stillPending(handle)).toEqual(['call-2']);
  const outcome = await rejectTheRest(handle);
  expect((await ledgerOf(handle)).map((effect) => [effect.key, effect.operation])).toEqual([[`${handle.workflowId}/effect-1`, 'charge']]);
  expect(outcome.approvals.filter((record) => record.callId === 'call-1')).toHaveLength(1);
});

test('an approval after expiry is refused (update) and recorded (signal); nothing runs', async () => {
  const handle = await harness.start(idFor('late-'), {
    agent: 'travel',
    task: 'Charge my card',
    approval: { ...APPROVAL, timeoutMs: 1500, onExpiry: 'reject' },
  });
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const [charge] = state.pendingApprovals;
  await harness.waitFor(handle, (s) => s.approvals.some((record) => record.callId === charge.callId && record.decision === 'expired'), 10_000);

  expect(await refusedUpdate(handle, decision(charge, {}))).toMatch(/no pending approval for call call-1|expired/);
  expect((await refusedSignal(handle, decision(charge, {}))).why).toMatch(/no pending approval for call call-1|expired/);
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  expect(outcome.finalText).toBe('Nobody approved the charge in time.');
  expect(outcome.approvals.map((record) => [record.callId, record.decision])).toEqual([['call-1', 'expired']]);
  expect(await ledgerOf(handle)).toEqual([]);
});

test('an approver not in `approvers` is refused (update) and recorded (signal); nothing runs', async () => {
  const { handle, charge, email } = await startTwoCalls();
  for (const approver of ['mallory', 'ana ', 'ANA', '']) {
    const why = await refusedUpdate(handle, decision(charge, { approver }));
    expect(why).toMatch(approver.trim() === '' ? /names no approver/ : new RegExp(`may not approve this run \\(allowed: ana, bob\\)`));
  }
  expect((await refusedSignal(handle, decision(email, { approver: 'mallory' }))).why).toMatch(/mallory may not approve this run/);
  expect(await stillPending(handle)).toEqual(['call-1', 'call-2']);
  expect(await ledgerOf(handle)).toEqual([]);
  await rejectTheRest(handle);
  expect(await ledgerOf(handle)).toEqual([]);
});

test('an approval aimed at another call (callId of A, hash of B) is refused (update) and recorded (signal); nothing runs', async () => {
  const { handle, charge, email } = await startTwoCalls();
  expect(await refusedUpdate(handle, { ...decision(charge, {}), argsHash: email.argsHash })).toMatch(/argsHash does not match call call-1/);
  expect(await refusedUpdate(handle, { ...decision(email, {}), argsHash: charge.argsHash })).toMatch(/argsHash does not match call call-2/);
  expect(await refusedUpdate(handle, { ...decision(charge, {}), callId: 'call-3' })).toMatch(/no pending approval for call call-3/);
  expect((await refusedSignal(handle, { ...decision(charge, {}), argsHash: email.argsHash })).why).toMatch(/argsHash does not match call call-1/);
  expect((await refusedSignal(handle, { ...decision(email, {}), argsHash: charge.argsHash })).why).toMatch(/argsHash does not match call call-2/);
  expect(await stillPending(handle)).toEqual(['call-1', 'call-2']);
  expect(await ledgerOf(handle)).toEqual([]);
  await rejectTheRest(handle);
  expect(await ledgerOf(handle)).toEqual([]);
});

test('an approval taken from another run (same tool, same input, same callId) is refused: the hash binds the effect id', async () => {
  const first = await startTwoCalls();
  const second = await startTwoCalls();
  expect(second.charge.callId).toBe(first.charge.callId);
  expect(second.charge.argsHash).not.toBe(first.charge.argsHash);
  expect(await refusedUpdate(second.handle, decision(first.charge, {}))).toMatch(/argsHash does not match call call-1/);
  expect((await refusedSignal(second.handle, decision(first.charge, {}))).why).toMatch(/argsHash does not match call call-1/);
  await Promise.all([rejectTheRest(first.handle), rejectTheRest(second.handle)]);
  expect(await ledgerOf(first.handle)).toEqual([]);
  expect(await ledgerOf(second.handle)).toEqual([]);
});

test('a double approve: of two concurrent updates one wins and one is refused; of two signals one is recorded; each call runs once', async () => {
  const { handle, charge, email } = await startTwoCalls();
  const settled = await Promise.allSettled([
    handle.executeUpdate(decideUpdate, { args: [decision(charge, { approver: 'ana' })] }),
    handle.executeUpdate(decideUpdate, { args: [decision(charge, { approver: 'bob' })] }),
  ]);
  expect(settled.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
  const refused = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected')!.reason as {
    name: string;
    cause?: { message: string };
  };
  expect(refused.name).toBe('WorkflowUpdateFailedError');
  expect(refused.cause?.message).toMatch(/no pending approval for call call-1/);

  await Promise.all([handle.signal(approvalSignal, decision(email, { approver: 'ana' })), handle.signal(approvalSignal, decision(email, { approver: 'bob' }))]);
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  const final = (await handle.query('getState')) as RunState;
  // The losing update is refused by the validator when the winner's decision is already applied, and by the
  // handler (which records it) when both arrived in one workflow task and both passed validation: either is right.
  const byUpdate = final.rejectedAttempts.filter((attempt) => attempt.via === 'update');
  expect(byUpdate.length).toBeLessThanOrEqual(1);
  for (const attempt of byUpdate) expect(attempt).toEqual(expect.objectContaining({ callId: 'call-1', code: 'ApprovalRefused.NotPending' }));
  expect(final.rejectedAttempts.filter((attempt) => attempt.via !== 'update')).toEqual([
    expect.objectContaining({ callId: 'call-2', via: 'signal', why: expect.stringMatching(/no pending approval for call call-2/) }),
  ]);
  expect(outcome.approvals.map((record) => [record.callId, record.decision])).toEqual([
    ['call-1', 'approve'],
    ['call-2', 'approve'],
  ]);
  expect((await ledgerOf(handle)).map((effect) => [effect.key, effect.operation])).toEqual([
    [`${handle.workflowId}/effect-1`, 'charge'],
    [`${handle.workflowId}/effect-2`, 'email'],
  ]);
});

const malformedRejection = (request: PendingApproval) =>
  ({ ...decision(request, { decision: 'reject', approver: 'ana' }), reason: 42 }) as unknown as ApprovalDecision;

test('a malformed decision sent as an update (a reason that is not a string) is refused with a message about the reason', async () => {
  const { handle, charge } = await startTwoCalls();
  const why = await refusedUpdate(handle, malformedRejection(charge));
  expect(why).toMatch(/reason/);
  expect(why).not.toMatch(/is not a function/);
  expect(await stillPending(handle)).toEqual(['call-1', 'call-2']);
  await rejectTheRest(handle);
  expect(await ledgerOf(handle)).toEqual([]);
});

// A signal handler that throws fails the workflow task, and the signal stays in history, so every retry fails
// again: one bad message from anyone who can signal would wedge the run (no query, no approval, no rollback).
test('a malformed decision sent as a signal is recorded, and does not wedge the run', async () => {
  const { handle, charge, email } = await startTwoCalls();
  try {
    expect((await refusedSignal(handle, malformedRejection(charge))).callId).toBe('call-1');
    expect(await stillPending(handle)).toEqual(['call-1', 'call-2']);
    expect(await ledgerOf(handle)).toEqual([]);
    await handle.executeUpdate(decideUpdate, { args: [decision(charge, { approver: 'ana' })] });
    await handle.executeUpdate(decideUpdate, { args: [decision(email, { decision: 'reject', approver: 'bob', reason: 'no email' })] });
    expect((await outcomeOf(handle)).status).toBe('completed');
    expect((await ledgerOf(handle)).map((effect) => effect.operation)).toEqual(['charge']);
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});
