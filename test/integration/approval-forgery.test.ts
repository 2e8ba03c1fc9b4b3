/**
 * Forged, replayed and junk approvals (DESIGN.md, guarantee 4): where a run lists approver keys only a valid
 * signature by that approver counts; a stranger's signal is refused and visible; a hundred oversized messages
 * neither wedge nor bloat the run. Each attack leaves zero executions of the tool in the services' ledger.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../src/dev/temporal-cli';
import { Client, Connection, WorkflowIdReusePolicy, type WorkflowHandle } from '@temporalio/client';
import { captureFixture } from '../helpers/fixtures';
import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { runEffects } from '../helpers/services';
import type { RespondingScenario } from '../../src/dev/scenario';
import { SagentClient } from '../../src/client';
import { newKeyPair, signDecision } from '../../src/policies/signature';
import { approvalSignal, decideUpdate, type ApprovalDecision, type PendingApproval, type RunState } from '../../src/shared/contracts';

const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Lisbon trip, 14-17 May' };
const EMAIL = { to: 'ada@example.com', subject: 'Your Lisbon trip', body: 'Flight, hotel and car are booked.' };

/** Claude asks for a charge and an email in one turn (call-1 and call-2), then ends. */
const twoCalls: RespondingScenario = {
  name: 'forgery',
  match: { runIdPrefix: 'forge-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? {
          content: [
            { type: 'text', text: 'Charging, then confirming.' },
            { type: 'tool_use', name: 'charge_card', input: CHARGE },
            { type: 'tool_use', name: 'send_email', input: EMAIL },
          ],
        }
      : { content: [{ type: 'text', text: 'Done.' }] },
};

let harness: Harness;
let sagent: SagentClient;
const ana = newKeyPair();
const mallory = newKeyPair();
const SIGNED = { approvers: [{ name: 'ana', publicKey: ana.publicKey }] };

beforeAll(async () => {
  harness = await startHarness('approval-forgery', [twoCalls]);
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
});
afterAll(() => harness?.stop());

let counter = 0;
const idFor = () => `forge-${Date.now()}-${++counter}`;

const ledgerOf = (handle: WorkflowHandle) => runEffects(harness.services.url, handle);

async function startTwoCalls(
  approval: object,
  id = idFor(),
): Promise<{ handle: WorkflowHandle; charge: PendingApproval; email: PendingApproval; runId?: string }> {
  const handle = await harness.start(id, { agent: 'travel', task: 'Charge my card and confirm by email', approval });
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval' && s.pendingApprovals.length === 2);
  const [charge, email] = state.pendingApprovals;
  return { handle, charge, email, runId: state.signatureRunId };
}

const EXPIRES = () => new Date(Date.now() + 5 * 60_000).toISOString();

/** A decision on `request` signed by `key` over `fields` (by default exactly the decision sent). */
function signedFor(workflowId: string, request: PendingApproval, key: string, over: Partial<Record<string, string>> = {}): ApprovalDecision {
  const expiresAt = EXPIRES();
  const base = { callId: request.callId, argsHash: request.argsHash, decision: 'approve' as const, approver: 'ana' };
  const signature = signDecision(key, { workflowId, ...base, editedInput: null, reason: null, expiresAt, ...over });
  return { ...base, expiresAt, signature };
}

async function refusal(handle: WorkflowHandle, attempt: ApprovalDecision): Promise<{ type?: string; message: string }> {
  const err = (await handle.executeUpdate(decideUpdate, { args: [attempt] }).then(
    () => {
      throw new Error('the forged decision was accepted');
    },
    (error: { cause?: { type?: string; message: string } }) => error,
  )) as { cause?: { type?: string; message: string; nonRetryable?: boolean } };
  expect(err.cause?.nonRetryable).toBe(true);
  return { type: err.cause?.type, message: err.cause?.message ?? '' };
}

async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
  return metadata.currentDetails ?? '';
}

async function rejectTheRest(handle: WorkflowHandle): Promise<void> {
  for (;;) {
    const state = (await handle.query('getState')) as RunState;
    const [next] = state.pendingApprovals;
    if (!next) break;
    await sagent.decide({
      workflowId: handle.workflowId,
      callId: next.callId,
      decision: 'reject',
      approver: 'ana',
      reason: 'closing the test run',
      privateKey: ana.privateKey,
    });
  }
  expect((await outcomeOf(handle)).status).toBe('completed');
}

test('with keys, the right name without or with a wrong signature, or a signature made elsewhere, runs nothing', async () => {
  const { handle, charge, email, runId } = await startTwoCalls(SIGNED);
  const id = handle.workflowId;
  expect(runId).toBe((await handle.describe()).runId);
  const signedDecision = (workflowId: string, request: PendingApproval, key: string, over: Partial<Record<string, string>> = {}) =>
    signedFor(workflowId, request, key, { runId: runId!, ...over });
  const unsigned = { callId: charge.callId, argsHash: charge.argsHash, decision: 'approve' as const, approver: 'ana' };
  expect(await refusal(handle, unsigned)).toMatchObject({ type: 'ApprovalRefused.Unsigned', message: expect.stringContaining('sagent keys create --as') });
  expect(await refusal(handle, signedDecision(id, charge, mallory.privateKey))).toMatchObject({ type: 'ApprovalRefused.BadSignature' });
  // ana's real signature of the email call, replayed onto the charge; of the charge in another run; over other arguments.
  const forEmail = signedDecision(id, email, ana.privateKey);
  expect(await refusal(handle, { ...forEmail, callId: charge.callId, argsHash: charge.argsHash })).toMatchObject({ type: 'ApprovalRefused.BadSignature' });
  expect(await refusal(handle, signedDecision('forge-another-run', charge, ana.privateKey))).toMatchObject({ type: 'ApprovalRefused.BadSignature' });
  expect(await refusal(handle, signedDecision(id, charge, ana.privateKey, { argsHash: 'b'.repeat(64) }))).toMatchObject({
    type: 'ApprovalRefused.BadSignature',
  });
  // The same attempts by signal are refused and kept.
  await handle.signal(approvalSignal, unsigned);
  await harness.waitFor(handle, (s) => s.rejectedAttempts.some((attempt) => attempt.via === 'signal' && attempt.code === 'ApprovalRefused.Unsigned'), 8000);
  expect(await ledgerOf(handle)).toEqual([]);
  const details = await currentDetails(handle);
  expect(details).toContain('Refused attempts');
  expect(details).toContain('accepts signed decisions only');
  expect(((await handle.query('getState')) as RunState).pendingApprovals.map((request) => request.callId)).toEqual(['call-1', 'call-2']);

  // ana's own signed approval, through the client, runs the charge once.
  const report = await sagent.decide({ workflowId: id, callId: charge.callId, decision: 'approve', approver: 'ana', privateKey: ana.privateKey });
  expect(report.argsHash).toBe(charge.argsHash);
  await harness.waitFor(handle, (s) => s.effects.some((effect) => effect.tool === 'charge_card' && effect.state === 'committed'));
  const state = (await handle.query('getState')) as RunState;
  expect(state.approvals.find((record) => record.callId === charge.callId)).toMatchObject({ approver: 'ana', signed: true });
  await rejectTheRest(handle);
  await captureFixture(handle, 'approval-signed');
  expect(await ledgerOf(handle)).toHaveLength(1);
});

test('regression: an approver named `__proto__` is a keyed approver like any other, so an unsigned decision is refused', async () => {
  const { handle, charge } = await startTwoCalls({ approvers: [{ name: '__proto__', publicKey: ana.publicKey }] });
  const unsigned = { callId: charge.callId, argsHash: charge.argsHash, decision: 'approve' as const, approver: '__proto__' };
  expect(await refusal(handle, unsigned)).toMatchObject({ type: 'ApprovalRefused.Unsigned' });
  await handle.signal(approvalSignal, unsigned);
  await harness.waitFor(handle, (s) => s.rejectedAttempts.some((attempt) => attempt.via === 'signal' && attempt.code === 'ApprovalRefused.Unsigned'), 8000);
  expect(await ledgerOf(handle)).toEqual([]);
  await handle.terminate('test over');
});

test('a signature made for one run never counts in a new run started under the same workflow id', async () => {
  const id = idFor();
  const first = await startTwoCalls(SIGNED, id);
  // ana signs the charge of the first run; the run ends before the decision is sent (the attacker keeps it).
  const stolen = signedFor(id, first.charge, ana.privateKey, { runId: first.runId! });
  const unbound = signedFor(id, first.charge, ana.privateKey);
  await first.handle.terminate('replaced by a new run');
  const handle = await harness.client.workflow.start('agentSaga', {
    taskQueue: harness.taskQueue,
    workflowId: id,
    args: [{ agent: 'travel', task: 'Charge my card and confirm by email', approval: SIGNED }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval' && s.pendingApprovals.length === 2);
  expect(state.signatureRunId).not.toBe(first.runId);
  // Same workflow id, same call, same arguments: the argsHash is the same, and still the old signatures are refused.
  expect(state.pendingApprovals[0].argsHash).toBe(first.charge.argsHash);
  expect(await refusal(handle, stolen)).toMatchObject({ type: 'ApprovalRefused.BadSignature', message: expect.stringContaining('another run') });
  expect(await refusal(handle, unbound)).toMatchObject({ type: 'ApprovalRefused.BadSignature' });
  expect(await ledgerOf(handle)).toEqual([]);
  // ana's decision made for this run counts.
  await sagent.decide({ workflowId: id, callId: 'call-1', decision: 'approve', approver: 'ana', privateKey: ana.privateKey });
  await harness.waitFor(handle, (s) => s.effects.some((effect) => effect.tool === 'charge_card' && effect.state === 'committed'));
  await rejectTheRest(handle);
  await captureFixture(handle, 'approval-signed-run');
  expect(await ledgerOf(handle)).toHaveLength(1);
});

test('a stranger through `temporal workflow signal` is refused, shown in the details, and read back by the CLI path', async () => {
  const { handle, charge } = await startTwoCalls({ approvers: ['ana'] });
  const payload = JSON.stringify({ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'mallory' });
  // The project's own lookup (PATH, TEMPORAL_CLI_PATH, the project's copy), as the dev server found it.
  const temporal = await findTemporalCli();
  if (!temporal) throw new Error('no Temporal CLI found: put `temporal` on PATH or set TEMPORAL_CLI_PATH');
  await promisify(execFile)(temporal, [
    'workflow',
    'signal',
    '--address',
    process.env.SAGENT_TEST_TEMPORAL_ADDRESS!,
    '--namespace',
    process.env.SAGENT_TEST_TEMPORAL_NAMESPACE ?? 'default',
    '--workflow-id',
    handle.workflowId,
    '--name',
    'approval',
    '--input',
    payload,
  ]);
  const state = await harness.waitFor(handle, (s) => s.rejectedAttempts.some((attempt) => attempt.approver === 'mallory'), 8000);
  expect(state.rejectedAttempts.at(-1)).toMatchObject({ approver: 'mallory', code: 'ApprovalRefused.NotAllowed', via: 'signal' });
  // The sender's name is data, marked as unverified, never bold text.
  expect(await currentDetails(handle)).toContain('signal claiming to be ` mallory ` (unverified)');
  // The durable trace: a memo upsert in the history.
  const history = await handle.fetchHistory();
  expect((history.events ?? []).some((event) => event.workflowPropertiesModifiedEventAttributes != null)).toBe(true);
  // The client's signal path reads the refusal back and throws.
  await expect(
    sagent.decide({ workflowId: handle.workflowId, callId: charge.callId, decision: 'approve', approver: 'mallory', via: 'signal', privateKey: false }),
  ).rejects.toMatchObject({
    name: 'DecisionRefusedError',
  });
  expect(await ledgerOf(handle)).toEqual([]);
  await sagent.decide({ workflowId: handle.workflowId, callId: 'call-1', decision: 'reject', approver: 'ana', reason: 'test over', privateKey: false });
  await sagent.decide({ workflowId: handle.workflowId, callId: 'call-2', decision: 'reject', approver: 'ana', reason: 'test over', privateKey: false });
  expect((await outcomeOf(handle)).status).toBe('completed');
  expect(await ledgerOf(handle)).toEqual([]);
});

test('a hundred oversized junk signals and updates: nothing runs, the run stays readable, decides, and continues as new', async () => {
  const { handle, charge } = await startTwoCalls({ approvers: ['ana'] });
  const junk = (bytes: number) => 'j'.repeat(bytes);
  // A stranger does not back off: no retry interceptor, so each refusal (the server's size and in-flight bounds) comes back at once.
  const connection = await Connection.connect({ address: harness.temporal.address, interceptors: [] });
  try {
    const stranger = new Client({ connection, namespace: harness.temporal.namespace }).workflow.getHandle(handle.workflowId);
    const sends: Promise<unknown>[] = [];
    for (let index = 0; index < 100; index += 1) {
      const size = 1_000_000 + (index % 3) * 1_000_000;
      const field = (['approver', 'reason', 'callId', 'argsHash'] as const)[index % 4];
      const attempt = { callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'mallory', [field]: junk(size) } as ApprovalDecision;
      const send = index % 2 === 0 ? stranger.signal(approvalSignal, attempt) : stranger.executeUpdate(decideUpdate, { args: [attempt] });
      sends.push(send.catch(() => undefined));
      if (sends.length >= 4) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
  } finally {
    await connection.close();
  }
  const state = await harness.waitFor(handle, (s) => s.rejectedAttempts.length > 0 && s.continuedAsNew >= 1, 60_000);
  expect(JSON.stringify(state).length).toBeLessThan(200_000);
  expect(state.rejectedAttempts.length).toBeLessThanOrEqual(20);
  expect(state.rejectedAttempts.every((attempt) => JSON.stringify(attempt).length < 1_000)).toBe(true);
  expect(await currentDetails(handle)).toContain('Refused attempts');
  const pending = await sagent.pending();
  expect(pending.calls.filter((call) => call.workflowId === handle.workflowId).map((call) => call.callId)).toEqual(['call-1', 'call-2']);
  expect(await ledgerOf(handle)).toEqual([]);
  await sagent.decide({ workflowId: handle.workflowId, callId: 'call-1', decision: 'approve', approver: 'ana', privateKey: false });
  await sagent.decide({ workflowId: handle.workflowId, callId: 'call-2', decision: 'reject', approver: 'ana', reason: 'test over', privateKey: false });
  expect((await outcomeOf(handle)).status).toBe('completed');
  expect(await ledgerOf(handle)).toHaveLength(1);
}, 180_000);
