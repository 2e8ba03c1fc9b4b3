/**
 * A pending approval is durable: it survives a worker restart and a continue-as-new (state, search
 * attributes and the hash it is bound to), and approving it afterwards runs the call exactly once.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { captureFixture } from '../helpers/fixtures';
import { runEffects } from '../helpers/services';
import type { RespondingScenario } from '../../src/dev/scenario';
import { argsHashOf } from '../../src/policies/canonical';
import { decideUpdate, approvalSignal, type RunState } from '../../src/shared/contracts';

const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Lisbon trip, 14-17 May' };

/** Claude asks for one charge, then reports it. */
const chargeOnce: RespondingScenario = {
  name: 'durable',
  match: { runIdPrefix: 'durable-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? {
          content: [
            { type: 'text', text: 'Charging.' },
            { type: 'tool_use', name: 'charge_card', input: CHARGE },
          ],
        }
      : { content: [{ type: 'text', text: ctx.lastToolResults[0]?.is_error ? 'The charge failed.' : 'Charged.' }] },
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('approval-durable', [chargeOnce]);
});
afterAll(() => harness?.stop());

let counter = 0;
const idFor = () => `durable-${Date.now()}-${++counter}`;

const ledgerOf = (handle: WorkflowHandle) => runEffects(harness.services.url, handle);

const expectedHash = (handle: WorkflowHandle) => argsHashOf({ tool: 'charge_card', input: CHARGE, effectId: `${handle.workflowId}/effect-1` });

/** Run ids of open runs of this workflow that the visibility store lists as awaiting approval. */
async function listedAsAwaiting(workflowId: string): Promise<string[]> {
  const query = `WorkflowId = '${workflowId}' AND AgentPendingApprovals > 0 AND ExecutionStatus = 'Running'`;
  const runIds: string[] = [];
  for await (const execution of harness.client.workflow.list({ query })) runIds.push(execution.runId);
  return runIds;
}

test('a pending approval survives a worker restart, and approving it afterwards runs the call once', async () => {
  const handle = await harness.start(idFor(), { agent: 'travel', task: 'Charge my card', approval: { approvers: ['ana'] } });
  const before = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  expect(before.pendingApprovals.map((request) => [request.callId, request.tool, request.argsHash])).toEqual([['call-1', 'charge_card', expectedHash(handle)]]);

  await harness.restartWorker();
  const after = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  expect(after.pendingApprovals).toEqual(before.pendingApprovals);
  expect(await ledgerOf(handle)).toEqual([]);

  // The signal path: it is delivered to the new worker, which must apply it exactly once.
  const [charge] = after.pendingApprovals;
  await handle.signal(approvalSignal, { callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  expect(outcome.finalText).toBe('Charged.');
  expect((await ledgerOf(handle)).map((effect) => [effect.key, effect.operation])).toEqual([[`${handle.workflowId}/effect-1`, 'charge']]);
  expect(outcome.approvals).toEqual([expect.objectContaining({ callId: 'call-1', decision: 'approve', approver: 'ana' })]);
});

test('a pending approval survives a continue-as-new: still listed, still found by visibility, runs once when approved', async () => {
  const handle = await harness.start(idFor(), {
    agent: 'travel',
    task: 'Charge my card',
    approval: { approvers: ['ana'] },
    continueAsNewAfterTurns: 1,
  });
  const firstRunId = (handle as { firstExecutionRunId?: string }).firstExecutionRunId;
  expect(firstRunId).toBeDefined();

  const waiting = await harness.waitFor(handle, (s) => s.continuedAsNew >= 1 && s.status === 'awaiting_approval', 15_000);
  const description = await handle.describe();
  expect(description.runId).not.toBe(firstRunId);
  expect(description.status.name).toBe('RUNNING');
  expect(waiting.pendingApprovals.map((request) => [request.callId, request.tool, request.argsHash])).toEqual([
    ['call-1', 'charge_card', expectedHash(handle)],
  ]);
  expect(waiting.steps).toBe(1);
  expect(await ledgerOf(handle)).toEqual([]);

  // Visibility may lag the upsert: poll for up to ~10 s.
  let listed: string[] = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
    listed = await listedAsAwaiting(handle.workflowId);
    if (listed.length > 0) break;
  }
  expect(listed).toEqual([description.runId]);

  // A waiting run must not continue as new again and again.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const later = (await handle.query('getState')) as RunState;
  expect(later.continuedAsNew).toBe(waiting.continuedAsNew);
  expect((await handle.describe()).runId).toBe(description.runId);

  const [charge] = waiting.pendingApprovals;
  const result = await handle.executeUpdate(decideUpdate, {
    args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }],
  });
  expect(result.argsHash).toBe(expectedHash(handle));
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'approval-continued-as-new');
  expect(outcome.status).toBe('completed');
  expect(outcome.finalText).toBe('Charged.');
  expect(outcome.steps).toBe(2);
  expect((await ledgerOf(handle)).map((effect) => [effect.key, effect.operation, effect.request.amountCents])).toEqual([
    [`${handle.workflowId}/effect-1`, 'charge', 41250],
  ]);
  expect(outcome.effects.map((effect) => [effect.tool, effect.state])).toEqual([['charge_card', 'committed']]);
  expect(outcome.approvals).toEqual([expect.objectContaining({ callId: 'call-1', decision: 'approve', approver: 'ana' })]);
  // Claude's second turn saw the charge's real result, carried across the continue-as-new.
  const second = harness.model.requests.filter((request) => request.runId === handle.workflowId && request.turn === 2);
  expect(second.length).toBeGreaterThanOrEqual(1);
  expect(await listedAsAwaiting(handle.workflowId)).toEqual([]);
});
