/**
 * Who may do what, on the real dev server with one shared worker: policy rules over arguments (allow and audited,
 * ask, deny shown to Claude), a run's rules that only tighten, MCP tools asking by default, principals without the
 * role never offered a tool, untrusted content that cannot steer state-changing calls, and `sagent audit`.
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { WorkflowHandle } from '@temporalio/client';
import { main } from '../../src/cli/main';
import type { RespondingScenario, TurnContext } from '../../src/dev/scenario';
import { checkedRunInput } from '../../src/operations/start';
import { decideUpdate, getStateQuery, type AgentRunInput, type RunOutcome, type RunState } from '../../src/shared/contracts';
import type { AutoVerdict, AutoVerdictRequest, AuditEntry } from '../../src/shared/policy';
import { captureFixture } from '../helpers/fixtures';
import { startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(120_000);

const CARD = '4242 4242 4242 4242';
const use = (name: string, input: Record<string, unknown>) => ({ type: 'tool_use' as const, name, input });
const charge = (amountCents: number, currency = 'EUR') => use('charge_card', { amountCents, currency, card: CARD, description: 'Lisbon trip' });
const hotel = (guest: string) => use('book_hotel', { city: 'Lisbon', checkIn: '2026-05-14', checkOut: '2026-05-16', guest });
const summary = (ctx: TurnContext) => ({
  content: [{ type: 'text' as const, text: `Done: ${JSON.stringify(ctx.lastToolResults.map((r) => [r.name, r.is_error, r.text.slice(0, 300)]))}` }],
});

/** What "Claude" does, by the run's id prefix; past the script, a summary of the last results it saw. */
const SCRIPTS: Record<string, Array<Array<ReturnType<typeof use>>>> = {
  'pol-small-': [[charge(41_250)]],
  'pol-large-': [[charge(90_000)]],
  // Claude reads the denial and goes on another way.
  'pol-usd-': [[charge(41_250, 'USD')], [hotel('Ada Lovelace')]],
  'pol-tight-': [[charge(41_250)]],
  'pol-role-': [[charge(41_250)]],
  // An e-mail body tells Claude to charge and to book: the scripted model obeys, as a steered model would.
  'pol-mail-': [[use('read_inbox', { limit: 5 })], [charge(45_000), hotel('Eve')]],
  // A page tells Claude to charge; the call would pass the small-charge rule, but the run has read untrusted content.
  'pol-page-': [[use('fetch_page', { url: 'https://hotel-lisboa.example/offer' })], [charge(49_000)]],
  'pol-mcp-': [[use('memory_create_relations', { relations: [{ from: 'Ada', to: 'Lisbon', relationType: 'visits' }] })]],
  'pol-cli-': [[charge(12_000)], [charge(12_000, 'GBP')]],
  // The travel agent's calls go to the worker's auto verdict source too (see `judge`).
  'pol-auto-deny-': [[hotel('Mallory')], [hotel('Ada Lovelace')]],
  'pol-auto-fail-': [[hotel('Crash'), hotel('Slow'), hotel('Garbage')]],
  'pol-auto-read-': [[use('search_flights', { from: 'Lisbon', to: 'Porto', date: '2026-05-14' })], [charge(41_250)]],
  // A read of the graph the notes agent allows, and one it does not: MCP reads ask by default.
  'pol-mcpread-': [[use('memory_search_nodes', { query: 'Ada' }), use('memory_open_nodes', { names: ['Ada'] })]],
};

/**
 * The worker's auto verdict source, by the guest or the tool: it denies, asks, allows, throws, never answers, or
 * answers nonsense. Whatever it does, nothing runs that a rule or a person did not let through.
 */
function judge(call: AutoVerdictRequest): AutoVerdict | Promise<AutoVerdict> {
  const guest = (call.input as { guest?: string }).guest;
  if (guest === 'Mallory') return { verdict: 'deny', reason: 'Mallory is on the fraud list' };
  if (guest === 'Crash') throw new Error('the judge crashed');
  if (guest === 'Slow') return new Promise(() => undefined);
  if (guest === 'Garbage') return { verdict: 'sure' } as unknown as AutoVerdict;
  if (call.tool === 'search_flights') return { verdict: 'ask', reason: `flight searches for ${call.principal ?? 'anyone'} are checked` };
  return { verdict: 'allow', reason: `${call.tool} is within the task` };
}

const scenario: RespondingScenario = {
  name: 'policies',
  match: { runIdPrefix: 'pol-' },
  respond(ctx) {
    const prefix = Object.keys(SCRIPTS).find((candidate) => ctx.runId!.startsWith(candidate))!;
    const turn = SCRIPTS[prefix][ctx.turn - 1];
    return turn ? { content: turn } : summary(ctx);
  },
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('policies', [scenario], {
    access: {
      roles: { everything: ['*'], clerk: ['read_*', 'fetch_page', 'book_hotel', 'send_email'] },
      principals: { alice: ['everything'], bob: ['clerk'] },
      anonymous: ['everything'],
    },
    auto: { autoVerdict: judge, autoVerdictAgents: ['travel'], autoVerdictTimeoutMs: 1_500 },
  });
  // The first bundle of the workflow code takes minutes on a loaded machine.
}, 600_000);
afterAll(() => harness?.stop());

function start(prefix: string, extra: Partial<AgentRunInput> = {}): Promise<WorkflowHandle> {
  return harness.start(`${prefix}${randomUUID().slice(0, 8)}`, {
    agent: 'errands',
    task: 'Book a room in Lisbon for Ada Lovelace and pay for it.',
    approval: { approvers: ['ana'] },
    ...extra,
  });
}

async function decide(handle: WorkflowHandle, tool: string, decision: 'approve' | 'reject'): Promise<RunState> {
  const state = await harness.waitFor(handle, (s) => s.pendingApprovals.some((p) => p.tool === tool));
  const pending = state.pendingApprovals.find((p) => p.tool === tool)!;
  await handle.executeUpdate(decideUpdate, {
    args: [
      {
        callId: pending.callId,
        argsHash: pending.argsHash,
        decision,
        approver: 'ana',
        ...(decision === 'reject' ? { reason: 'not asked for by the user' } : {}),
      },
    ],
  });
  return state;
}

/** The CLI, in this process, against the harness's server and task queue. */
async function sagent(...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: harness.temporal.address,
    TEMPORAL_NAMESPACE: harness.temporal.namespace,
    SAGENT_TASK_QUEUE: harness.taskQueue,
  };
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await main(['node', 'sagent', ...args], { stdout, stderr, stdin: new PassThrough(), env });
  return { code, stdout: Buffer.concat(out).toString() };
}

const audit = (state: RunState, kind: AuditEntry['kind']) => (state.audit ?? []).filter((entry) => entry.kind === kind);
const requestsOf = (handle: WorkflowHandle) => harness.model.requests.filter((r) => r.runId === handle.workflowId);
const offered = (handle: WorkflowHandle) => ((requestsOf(handle)[0]?.body as { tools: Array<{ name: string }> }).tools ?? []).map((t) => t.name);

test('a charge under the threshold runs without a person and is audited with the rule that allowed it', async () => {
  const handle = await start('pol-small-');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.approvals).toEqual([]);
  expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['charge_card', 'committed']]);
  const state = await handle.query(getStateQuery);
  expect(audit(state, 'policy')).toEqual([
    expect.objectContaining({
      decision: 'allow',
      tool: 'charge_card',
      rule: 'agent:small-charge',
      callId: 'call-1',
      effectId: `${handle.workflowId}/effect-1`,
    }),
  ]);
  await captureFixture(handle, 'policy-allowed-charge');
});

test('a charge above the threshold asks a person, and runs once approved; the audit names the rule and the approver', async () => {
  const handle = await start('pol-large-');
  const asked = await decide(handle, 'charge_card', 'approve');
  expect(asked.pendingApprovals[0].rule).toBe('a charge above 500 EUR needs a person');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['charge_card', 'committed']]);
  const state = await handle.query(getStateQuery);
  expect(state.audit!.filter((e) => e.tool === 'charge_card').map((e) => [e.kind, e.decision, e.rule ?? e.approver])).toEqual([
    ['policy', 'ask', 'agent:large-charge'],
    ['approval', 'approve', 'ana'],
  ]);
  await captureFixture(handle, 'policy-approved-charge');
});

test('a charge in another currency is denied: Claude reads the denial and the run goes on', async () => {
  const handle = await start('pol-usd-');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['book_hotel', 'committed']]);
  // The scripted model saw the structured denial on its second turn.
  const second = requestsOf(handle).find((r) => r.turn === 2)!;
  expect(JSON.stringify(second.body)).toContain('policy_denied');
  expect(JSON.stringify(second.body)).toContain('cards are charged in EUR only');
  const state = await handle.query(getStateQuery);
  expect(audit(state, 'policy')[0]).toMatchObject({ decision: 'deny', tool: 'charge_card', rule: 'agent:eur-only' });
  await captureFixture(handle, 'policy-denied-charge');
});

test("a run's rule tightens the agent's policy, and one that would loosen it is refused with a clear error", async () => {
  const handle = await start('pol-tight-', {
    policy: { rules: [{ id: 'every-charge', tools: 'charge_*', verdict: 'ask', reason: 'this customer confirms every charge' }] },
  });
  const asked = await decide(handle, 'charge_card', 'reject');
  expect(asked.pendingApprovals[0].rule).toBe('this customer confirms every charge');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects).toEqual([]);

  const loosen = { agent: 'errands', task: 't', policy: { rules: [{ id: 'free', tools: '*', verdict: 'allow' }] } } as unknown as AgentRunInput;
  expect(() => checkedRunInput(loosen)).toThrow(
    expect.objectContaining({ name: 'InvalidRunInputError', message: expect.stringMatching(/may only tighten.*"allow" is not accepted/) }),
  );
  // Sent past the client's check, the workflow refuses it the same way, before any step.
  const refused = await harness.start(`pol-loose-${randomUUID().slice(0, 8)}`, loosen);
  await expect(refused.result()).rejects.toMatchObject({ cause: { type: 'InvalidInput', message: expect.stringMatching(/may only tighten/) } });
});

test('a principal without the role is never offered the tool, and a call that names it anyway is refused', async () => {
  const handle = await start('pol-role-', { identity: { principal: 'bob', tenant: 'acme' } });
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects).toEqual([]);
  expect(offered(handle)).toEqual(expect.arrayContaining(['read_inbox', 'book_hotel']));
  expect(offered(handle)).not.toContain('charge_card');
  expect(outcome.finalText).toContain('tool_not_allowed');
  const state = await handle.query(getStateQuery);
  expect(state.identity).toEqual({ principal: 'bob', tenant: 'acme' });
  expect(audit(state, 'identity')[0].reason).toMatch(/started by bob for tenant acme; tools allowed by role \(clerk\)/);
  expect(audit(state, 'refusal')).toEqual([expect.objectContaining({ decision: 'tool_not_allowed', tool: 'charge_card' })]);
  expect(state.timeline.map((t) => t.title)).toContain('started by bob for tenant acme');
});

/** What a run's history holds before its first model call is scheduled: the round trips and the upserts of its start. */
async function startShape(handle: WorkflowHandle) {
  const events = (await handle.fetchHistory()).events ?? [];
  const first = events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel');
  const start = events.slice(0, first);
  const payloadOf = (details: unknown, key: string) => {
    const payload = (details as Record<string, { payloads?: Array<{ data?: Uint8Array | null }> }> | null | undefined)?.[key]?.payloads?.[0];
    return payload?.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : undefined;
  };
  const markers = start.flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : []));
  return {
    workflowTasks: start.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    activities: start.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
    patches: markers.filter((m) => m.markerName === 'core_patch').map((m) => payloadOf(m.details, 'patch-data')?.id),
    localActivities: markers.filter((m) => m.markerName === 'core_local_activity').map((m) => payloadOf(m.details, 'data')?.activity_type),
    upserts: start.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length,
  };
}

test("a new run's start is one workflow task: its access asked by a local activity, one patch marker, one version upsert", async () => {
  const handle = await start('pol-role-', { identity: { principal: 'bob', tenant: 'acme' } });
  const outcome = (await handle.result()) as RunOutcome;
  // The grant still holds: bob's role does not offer the charge.
  expect(offered(handle)).not.toContain('charge_card');
  expect(outcome.finalText).toContain('tool_not_allowed');
  // Started without the run's search attributes (as `temporal workflow start` would): the run upserts its first view too.
  expect(await startShape(handle)).toEqual({
    workflowTasks: 1,
    activities: [],
    patches: ['sagent-bundled-patches-1'],
    localActivities: ['resolveAccess'],
    upserts: 2,
  });
  await captureFixture(handle, 'lean-start');
});

test("a run started by sagent's client upserts nothing at its start but the version marker's", async () => {
  const id = `pol-small-${randomUUID().slice(0, 8)}`;
  const started = await sagent('start', '--agent', 'errands', '--task', 'Pay the Lisbon deposit', '--id', id, '--approver', 'ana', '--wait');
  expect(started.code).toBe(0);
  expect(await startShape(harness.client.workflow.getHandle(id))).toMatchObject({ workflowTasks: 1, activities: [], upserts: 1 });
});

test('an e-mail body with instructions: the calls it asks for wait for a person, who rejects them; no effect', async () => {
  const handle = await start('pol-mail-');
  const asked = await decide(handle, 'charge_card', 'reject');
  expect(asked.pendingApprovals.find((p) => p.tool === 'charge_card')!.rule).toMatch(
    /the run read untrusted content: read_inbox \(turn 1, pol-mail-\w+\/turn-1\/read-0\)/,
  );
  await decide(handle, 'book_hotel', 'reject');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects).toEqual([]);
  // What Claude read of the mailbox came fenced as data.
  const second = JSON.stringify(requestsOf(handle).find((r) => r.turn === 2)!.body);
  expect(second).toContain('<untrusted-data tool=\\"read_inbox\\"');
  const state = await handle.query(getStateQuery);
  expect(state.taint).toEqual([{ tool: 'read_inbox', turn: 1, effectId: `${handle.workflowId}/turn-1/read-0` }]);
  expect(audit(state, 'policy').map((e) => [e.tool, e.decision, e.rule])).toEqual([
    ['charge_card', 'ask', 'taint'],
    ['book_hotel', 'ask', 'taint'],
  ]);
  await captureFixture(handle, 'policy-tainted-run');
});

test('a web page telling Claude to charge: a charge the rules would allow still asks once the run read it', async () => {
  const handle = await start('pol-page-');
  await decide(handle, 'charge_card', 'reject');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects).toEqual([]);
  expect(outcome.approvals.map((a) => [a.tool, a.decision])).toEqual([['charge_card', 'reject']]);
});

test('an MCP tool the agent has no rule for runs only after approval', async () => {
  const handle = await harness.start(`pol-mcp-${randomUUID().slice(0, 8)}`, { agent: 'notes', task: 'Link Ada to Lisbon', approval: { approvers: ['ana'] } });
  const asked = await decide(handle, 'memory_create_relations', 'approve');
  expect(asked.pendingApprovals[0].rule).toMatch(/MCP tools ask by default/);
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['memory_create_relations', 'committed']]);
});

test("sagent start --as --tenant records the run's identity; sagent audit prints its decision trail, and --json one line per decision", async () => {
  const id = `pol-cli-${randomUUID().slice(0, 8)}`;
  const started = await sagent(
    'start',
    '--agent',
    'errands',
    '--task',
    'Pay the Lisbon deposit',
    '--id',
    id,
    '--approver',
    'ana',
    '--as',
    'alice',
    '--tenant',
    'acme',
    '--wait',
    '--json',
  );
  expect(started.code).toBe(0);
  const description = await harness.client.workflow.getHandle(id).describe();
  expect(description.searchAttributes).toMatchObject({ AgentPrincipal: ['alice'], AgentTenant: ['acme'] });

  const printed = await sagent('audit', id);
  expect(printed.code).toBe(0);
  expect(printed.stdout).toMatch(/started by alice for tenant acme/);
  expect(printed.stdout).toMatch(/policy +allow \[agent:small-charge\] {2}charge_card · call-1/);
  expect(printed.stdout).toMatch(/policy +deny \[agent:eur-only\] {2}charge_card: cards are charged in EUR only/);

  const lines = await sagent('audit', id, '--json');
  const entries = lines.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEntry & { workflowId: string });
  expect(entries.map((e) => [e.kind, e.decision])).toEqual([
    ['identity', 'started'],
    ['policy', 'allow'],
    ['policy', 'deny'],
  ]);
  expect(entries.every((e) => e.workflowId === id)).toBe(true);

  const missing = await sagent('audit', `pol-none-${randomUUID().slice(0, 8)}`);
  expect(missing.code).toBe(1);
});

const travel = (prefix: string, extra: Partial<AgentRunInput> = {}) =>
  start(prefix, { agent: 'travel', identity: { principal: 'alice', tenant: 'acme' }, ...extra });
const trail = (state: RunState, kind: AuditEntry['kind']) => audit(state, kind).map((e) => [e.tool, e.decision, e.rule]);

test("the auto source's deny reaches Claude and the run goes on; its verdicts are in the audit trail, the effect names the run's identity", async () => {
  const handle = await travel('pol-auto-deny-');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects).toEqual([
    expect.objectContaining({
      tool: 'book_hotel',
      state: 'committed',
      principal: 'alice',
      tenant: 'acme',
      input: expect.objectContaining({ guest: 'Ada Lovelace' }),
    }),
  ]);
  const second = JSON.stringify(requestsOf(handle).find((r) => r.turn === 2)!.body);
  expect(second).toContain('policy_denied');
  expect(second).toContain('Mallory is on the fraud list');
  const state = await handle.query(getStateQuery);
  expect(audit(state, 'auto').map((e) => [e.tool, e.decision, e.reason])).toEqual([
    ['book_hotel', 'deny', 'Mallory is on the fraud list'],
    ['book_hotel', 'allow', 'book_hotel is within the task'],
  ]);
  expect(trail(state, 'policy')).toEqual([
    ['book_hotel', 'deny', 'auto'],
    ['book_hotel', 'allow', 'declaration'],
  ]);
  const printed = await sagent('audit', handle.workflowId);
  expect(printed.stdout).toMatch(/auto +deny .*book_hotel.*Mallory is on the fraud list/);
  await captureFixture(handle, 'policy-auto-verdict');
});

test('an auto source that throws, never answers, or answers nonsense yields ask: each call waits, and a rejection leaves no effect', async () => {
  const handle = await travel('pol-auto-fail-');
  const state = await harness.waitFor(handle, (s) => s.pendingApprovals.length === 3);
  expect(state.pendingApprovals.map((p) => p.rule)).toEqual([
    expect.stringMatching(/auto verdict source failed \(the judge crashed\)/),
    expect.stringMatching(/auto verdict source failed \(no answer within 1500 ms\)/),
    expect.stringMatching(/auto verdict source failed \(malformed answer/),
  ]);
  for (const pending of state.pendingApprovals) {
    await handle.executeUpdate(decideUpdate, {
      args: [{ callId: pending.callId, argsHash: pending.argsHash, decision: 'reject', approver: 'ana', reason: 'not asked for' }],
    });
  }
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.effects).toEqual([]);
  expect(trail(await handle.query(getStateQuery), 'auto')).toEqual([
    ['book_hotel', 'ask', 'auto'],
    ['book_hotel', 'ask', 'auto'],
    ['book_hotel', 'ask', 'auto'],
  ]);
});

test("a read the auto source asks about waits for a person; an allow from it keeps a rule's ask", async () => {
  const handle = await travel('pol-auto-read-');
  const asked = await decide(handle, 'search_flights', 'approve');
  expect(asked.pendingApprovals[0].rule).toBe('flight searches for alice are checked');
  const charged = await decide(handle, 'charge_card', 'reject');
  expect(charged.pendingApprovals[0].rule).toBe('charge_card is privileged');
  const outcome = (await handle.result()) as RunOutcome;
  // The approved read ran (Claude read the flights) but is no effect: nothing in the ledger.
  expect(outcome.effects).toEqual([]);
  expect(outcome.approvals.map((a) => [a.tool, a.decision])).toEqual([
    ['search_flights', 'approve'],
    ['charge_card', 'reject'],
  ]);
  expect(JSON.stringify(requestsOf(handle).find((r) => r.turn === 2)!.body)).toMatch(/TP-\d{3,4}/);
  const state = await handle.query(getStateQuery);
  expect(trail(state, 'auto')).toEqual([
    ['search_flights', 'ask', 'auto'],
    ['charge_card', 'allow', 'auto'],
  ]);
  expect(trail(state, 'policy')).toEqual([
    ['search_flights', 'ask', 'auto'],
    ['charge_card', 'ask', 'declaration'],
  ]);
});

test('an MCP read runs only after approval unless a rule allows it; the errands agent puts nothing to the auto source', async () => {
  const handle = await harness.start(`pol-mcpread-${randomUUID().slice(0, 8)}`, {
    agent: 'notes',
    task: 'What do we know of Ada?',
    approval: { approvers: ['ana'] },
  });
  const asked = await decide(handle, 'memory_open_nodes', 'approve');
  expect(asked.pendingApprovals.map((p) => p.tool)).toEqual(['memory_open_nodes']);
  expect(asked.pendingApprovals[0].rule).toMatch(/MCP tools ask by default/);
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects).toEqual([]);
  expect(outcome.approvals.map((a) => [a.tool, a.decision])).toEqual([['memory_open_nodes', 'approve']]);
  const state = await handle.query(getStateQuery);
  expect(trail(state, 'policy')).toEqual([
    ['memory_search_nodes', 'allow', 'agent:known-reads'],
    ['memory_open_nodes', 'ask', 'mcp-default'],
  ]);
  expect(audit(state, 'auto')).toEqual([]);
});
