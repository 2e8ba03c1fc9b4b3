/**
 * The `auto` verdict source on the worker: its answers checked, every failure (a throw, a hang, nonsense) turned into
 * `ask`, the grant that tells a run to ask it, and the second-model source against the scripted Messages-API server.
 */
import { createAccessActivities } from '../../src/activities/access';
import { checkAutoVerdict, judgeCall, type AutoVerdictSource } from '../../src/activities/auto-verdict';
import { secondModelVerdict } from '../../src/activities/second-model';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import type { RespondingScenario } from '../../src/dev/scenario';
import { createAnthropicClient } from '../../src/models/anthropic';
import type { AutoVerdictRequest } from '../../src/shared/policy';

const call = (guest: string): AutoVerdictRequest => ({
  agent: 'travel',
  tool: 'book_hotel',
  input: { city: 'Lisbon', checkIn: '2026-05-14', checkOut: '2026-05-16', guest },
  risk: 'reversible',
  ruleVerdict: 'allow',
  rule: 'declaration',
  principal: 'alice',
  tenant: 'acme',
  taint: [],
  turn: 1,
});

/** The judge's answers, by the guest named in the call it reads. */
const judge: RespondingScenario = {
  name: 'judge',
  match: { taskIncludes: 'Tool: book_hotel' },
  respond({ task }) {
    const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
    if (task.includes('Mallory')) return text('{"verdict":"deny","reason":"the guest is on the fraud list"}');
    if (task.includes('Fenced')) return text('```json\n{"verdict":"ask","reason":"a person should check the dates"}\n```');
    if (task.includes('Prose')) return text('I think this booking looks perfectly fine, go ahead.');
    if (task.includes('Wrong')) return text('{"verdict":"yes","reason":"sure"}');
    if (task.includes('Outage')) return { error: { status: 529 } };
    return text('{"verdict":"allow","reason":"a room for the traveller the task names"}');
  },
};

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({ scenarios: [judge] });
});
afterAll(() => server?.close());

const anthropic = () => createAnthropicClient({ apiKey: 'test', baseURL: server.url });

describe('judgeCall', () => {
  const deps = (autoVerdict: AutoVerdictSource, autoVerdictTimeoutMs?: number) => ({ anthropic: anthropic(), autoVerdict, autoVerdictTimeoutMs });

  it("passes a well-formed answer through, and keeps an ask's approvers", async () => {
    await expect(
      judgeCall(
        deps(() => ({ verdict: 'deny', reason: 'no' })),
        call('Ada'),
      ),
    ).resolves.toEqual({ verdict: 'deny', reason: 'no' });
    await expect(
      judgeCall(
        deps(async () => ({ verdict: 'ask', reason: 'check', approvers: ['risk'] })),
        call('Ada'),
      ),
    ).resolves.toEqual({
      verdict: 'ask',
      reason: 'check',
      approvers: ['risk'],
    });
  });

  it('asks when the source throws, never allows', async () => {
    const answer = await judgeCall(
      deps(() => {
        throw new Error('judge crashed');
      }),
      call('Ada'),
    );
    expect(answer).toEqual({ verdict: 'ask', reason: expect.stringContaining('judge crashed') });
  });

  it('asks when the source does not answer in time, and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const hang: AutoVerdictSource = (_call, context) => {
      signal = context.signal;
      return new Promise(() => undefined);
    };
    const answer = await judgeCall(deps(hang, 50), call('Ada'));
    expect(answer).toEqual({ verdict: 'ask', reason: expect.stringContaining('no answer within 50 ms') });
    expect(signal?.aborted).toBe(true);
  });

  it.each([
    [{ verdict: 'yes', reason: 'sure' }, /verdict must be/],
    [{ verdict: 'allow' }, /reason must be/],
    [{ verdict: 'ask', reason: 'r', approvers: 'ana' }, /approvers must be/],
    [null, /verdict must be/],
  ])('asks on a malformed answer %j', async (malformed, cause) => {
    const answer = await judgeCall(
      deps(() => malformed as never),
      call('Ada'),
    );
    expect(answer.verdict).toBe('ask');
    expect(answer.reason).toMatch(cause);
  });

  it('asks when the worker has no source (a run that began on a worker with one)', async () => {
    await expect(judgeCall({ anthropic: anthropic() }, call('Ada'))).resolves.toMatchObject({ verdict: 'ask' });
  });

  it('bounds what it keeps of a long reason', () => {
    expect(checkAutoVerdict({ verdict: 'deny', reason: 'x'.repeat(5000) }).reason).toHaveLength(500);
  });
});

describe('the grant tells a run whether to ask the source', () => {
  const request = { agent: 'travel', principal: 'alice', tenant: null, tools: ['book_hotel'] };

  it('says auto only on a worker with a source, for the agents it names', async () => {
    await expect(createAccessActivities({}).resolveAccess(request)).resolves.toEqual({ allowed: null, roles: [] });
    await expect(createAccessActivities({ autoVerdict: () => undefined }).resolveAccess(request)).resolves.toEqual({ allowed: null, roles: [], auto: true });
    const scoped = createAccessActivities({ autoVerdict: () => undefined, autoVerdictAgents: ['errands'] });
    await expect(scoped.resolveAccess(request)).resolves.toEqual({ allowed: null, roles: [] });
    await expect(scoped.resolveAccess({ ...request, agent: 'errands' })).resolves.toMatchObject({ auto: true });
  });
});

describe('secondModelVerdict, against the scripted Messages API', () => {
  const source = secondModelVerdict({ model: 'claude-haiku-4-5', guidance: 'Bookings for people on the fraud list are refused.' });
  const ask = (guest: string) => judgeCall({ anthropic: anthropic(), autoVerdict: source }, call(guest));

  it("reads the judge's strict JSON answer, fenced or not", async () => {
    await expect(ask('Ada')).resolves.toEqual({ verdict: 'allow', reason: 'a room for the traveller the task names' });
    await expect(ask('Mallory')).resolves.toEqual({ verdict: 'deny', reason: 'the guest is on the fraud list' });
    await expect(ask('Fenced')).resolves.toEqual({ verdict: 'ask', reason: 'a person should check the dates' });
    const request = server.requests.find((r) => JSON.stringify(r.body).includes('Mallory'))!;
    expect(request.body).toMatchObject({ model: 'claude-haiku-4-5', system: expect.stringContaining('fraud list') });
    expect(JSON.stringify(request.body)).toContain('Started by: alice for tenant acme');
  });

  it('falls back to ask on prose, a verdict outside the three, and an API error', async () => {
    for (const guest of ['Prose', 'Wrong', 'Outage']) {
      const answer = await ask(guest);
      expect(answer.verdict).toBe('ask');
      expect(answer.reason).toMatch(/auto verdict source failed/);
    }
  });

  it('refuses to be built without a model', () => {
    expect(() => secondModelVerdict({ model: '' })).toThrow(/name the judging model/);
  });
});
