/** The approval inbox on the real server: no token or another approver's token decides nothing; the right one signs. */
import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { SagentClient } from '../../src/client';
import { startInbox, type Inbox } from '../../src/inbox/server';
import { newKeyPair } from '../../src/policies/signature';
import type { RunState } from '../../src/shared/contracts';
import { chargeOnceScenario } from '../helpers/scenarios';

const CHARGE = { amountCents: 1200, currency: 'EUR', card: '4242424242424242', description: 'Inbox test' };
const charge = chargeOnceScenario('inbox', 'inbox-', CHARGE);
const ana = newKeyPair();
const TOKENS = new Map([
  ['ana', 'ana-token-0123456789abcdef'],
  ['bob', 'bob-token-0123456789abcdef'],
]);

let harness: Harness;
let inbox: Inbox;
beforeAll(async () => {
  harness = await startHarness('approval-inbox', [charge]);
  const sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
  inbox = await startInbox({ sagent, tokens: TOKENS, keyOf: (name) => (name === 'ana' ? ana.privateKey : undefined) });
});
afterAll(async () => {
  await inbox?.close();
  await harness?.stop();
});

const call = (path: string, token: string | undefined, body?: unknown) =>
  fetch(`${inbox.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

test('the inbox refuses anonymous and impersonating requests, and decides signed as the token’s approver', async () => {
  const handle = await harness.start(`inbox-${Date.now()}`, {
    agent: 'travel',
    task: 'Charge',
    approval: { approvers: [{ name: 'ana', publicKey: ana.publicKey }] },
  });
  const state = await harness.waitFor(handle, (s: RunState) => s.pendingApprovals.length === 1);
  const [request] = state.pendingApprovals;
  const decision = { workflowId: handle.workflowId, callId: request.callId, argsHash: request.argsHash, decision: 'approve' };

  expect((await call('/api/pending', undefined)).status).toBe(401);
  expect((await call('/api/decide', 'wrong-token-0123456789', decision)).status).toBe(401);
  expect((await call('/api/decide', TOKENS.get('bob'), { ...decision, approver: 'ana' })).status).toBe(403);
  // bob is signed in as bob: the run refuses him (he has no key and is no approver of it).
  const asBob = await call('/api/decide', TOKENS.get('bob'), decision);
  expect(asBob.status).toBe(409);
  expect(((await asBob.json()) as { error: string }).error).toMatch(/bob has no key|may not approve/);

  const listed = (await (await call('/api/pending', TOKENS.get('ana'))).json()) as {
    approver: string;
    signs: boolean;
    calls: { callId: string; rule?: string; mayDecide: boolean }[];
  };
  expect(listed).toMatchObject({ approver: 'ana', signs: true });
  expect(listed.calls.find((c) => c.callId === request.callId)).toMatchObject({ rule: 'charge_card is privileged', mayDecide: true });
  const approved = await call('/api/decide', TOKENS.get('ana'), decision);
  expect(approved.status).toBe(200);
  expect((await outcomeOf(handle)).approvals[0]).toMatchObject({ approver: 'ana', decision: 'approve', signed: true });
});
