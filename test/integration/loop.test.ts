/**
 * The durable agent loop on the real dev server: parallel calls, validation before anything runs, one
 * retry layer, budgets, and a long run that continues as new with Claude's view intact.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { captureFixture } from '../helpers/fixtures';
import { runEffects } from '../helpers/services';
import type { Scenario, TurnSpec } from '../../src/dev/scenario';
import { abortUpdate, extendBudgetUpdate, getStateQuery } from '../../src/shared/contracts';

const text = (value: string) => ({ type: 'text' as const, text: value });
const call = (name: string, input: Record<string, unknown>) => ({ type: 'tool_use' as const, name, input });

const scenarios: Scenario[] = [
  {
    name: 'parallel',
    match: { runIdPrefix: 'parallel-' },
    turns: [
      {
        content: [
          text('Looking around.'),
          call('get_weather', { city: 'Lisbon' }),
          call('search_flights', { from: 'LIS', to: 'OPO', date: '2026-12-01' }),
          call('get_weather', { city: 'Porto' }),
        ],
      },
      {
        content: [
          call('book_flight', { flightId: 'TP-1234', passenger: 'Ana Silva' }),
          call('book_hotel', { city: 'Porto', checkIn: '2026-12-01', checkOut: '2026-12-03', guest: 'Ana Silva' }),
        ],
      },
      { content: [text('All set.')] },
    ],
  },
  {
    name: 'bad-input',
    match: { runIdPrefix: 'bad-' },
    turns: [
      {
        content: [
          call('teleport', { to: 'Mars' }),
          call('book_flight', { flightId: 'not a flight', passenger: '' }),
          call('get_weather', { city: 'x'.repeat(20_000) }),
          call('rent_car', { city: 'Lisbon', pickUp: '2026-12-01', dropOff: '2026-12-02', driver: 'Ana' }),
          call('get_weather', { city: 'Lisbon' }),
        ],
      },
      { content: [call('get_weather', { city: 'Lisbon' })] },
      { content: [text('Done despite the noise.')] },
    ],
  },
  {
    name: 'rate-limited',
    match: { runIdPrefix: 'ratelimit-' },
    turns: [{ error: { status: 429, message: 'slow down', retryAfter: 2, times: 1 }, content: [text('Finally.')] }],
  },
  {
    name: 'bad-request',
    match: { runIdPrefix: 'badrequest-' },
    turns: [{ error: { status: 400, message: 'messages: invalid' } }],
  },
  {
    name: 'budgeted',
    match: { runIdPrefix: 'budget-' },
    turns: [
      { content: [call('book_flight', { flightId: 'TP-1234', passenger: 'Ana Silva' })] },
      { content: [call('get_weather', { city: 'Lisbon' })] },
      { content: [call('get_weather', { city: 'Porto' })] },
      { content: [text('Within budget after all.')] },
    ],
  },
  {
    name: 'long',
    match: { runIdPrefix: 'long-' },
    respond: ({ turn }): TurnSpec =>
      turn < LONG_RUN_TURNS
        ? { content: [text(`Step ${turn}.`), call('get_weather', { city: `City ${turn}` })] }
        : { content: [text(`Finished after ${turn} turns.`)] },
  },
];

const LONG_RUN_TURNS = 150;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('loop', scenarios);
});
afterAll(() => harness?.stop());

// Request bodies are the Messages API's JSON; the tests read them as such.
const requestsOf = (workflowId: string) =>
  harness.model.requests.filter((request) => request.runId === workflowId) as Array<(typeof harness.model.requests)[number] & { body: any }>;

test('parallel calls: reads run together, writes run in order, results reach Claude in the original order', async () => {
  const handle = await harness.start(`parallel-${Date.now()}`, { agent: 'travel', task: 'Trip to Porto' });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'parallel');
  expect(outcome.status).toBe('completed');

  const [first, second, third] = requestsOf(handle.workflowId).filter((request) => request.status === 200);
  const askedFor = (request: typeof first) => request.body.messages.at(-1).content.map((block: { tool_use_id: string }) => block.tool_use_id);
  const calledIn = (request: typeof first) =>
    request.body.messages
      .at(-2)
      .content.filter((block: { type: string }) => block.type === 'tool_use')
      .map((block: { id: string }) => block.id);
  expect(askedFor(second)).toEqual(calledIn(second));
  expect(askedFor(third)).toEqual(calledIn(third));
  const weather = second.body.messages.at(-1).content.map((block: { content: string }) => JSON.parse(block.content));
  expect(weather[0].city).toBe('Lisbon');
  expect(weather[2].city).toBe('Porto');
  expect(first.turn).toBe(1);

  const state = await handle.query(getStateQuery);
  const tools = state.timeline.filter((entry) => entry.kind === 'tool').map((entry) => entry.title);
  expect(tools.slice(3)).toEqual(['book_flight · effect 1', 'book_hotel · effect 2']);
  expect(outcome.effects.map((effect) => effect.effectId)).toEqual([`${handle.workflowId}/effect-1`, `${handle.workflowId}/effect-2`]);
});

test('bad input reaches Claude as structured is_error results and nothing invalid runs', async () => {
  const handle = await harness.start(`bad-${Date.now()}`, {
    agent: 'travel',
    task: 'Noisy model',
    allowedTools: ['get_weather', 'book_flight'],
    budget: { maxIdenticalCalls: 1 },
  });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'bad-input');
  expect(outcome.status).toBe('completed');
  expect(outcome.effects).toEqual([]);

  const [, second, third] = requestsOf(handle.workflowId).filter((request) => request.status === 200);
  const results = second.body.messages.at(-1).content as { is_error?: boolean; content: string }[];
  const errors = results.map((result) => (result.is_error ? JSON.parse(result.content).error : 'ok'));
  expect(errors).toEqual(['unknown_tool', 'invalid_arguments', 'input_too_large', 'tool_not_allowed', 'ok']);
  for (const result of results.filter((candidate) => candidate.is_error)) {
    expect(Object.keys(JSON.parse(result.content))).toEqual(['error', 'message', 'hint']);
  }
  expect(JSON.parse(results[1].content).message).toMatch(/flightId/);
  const repeated = third.body.messages.at(-1).content[0];
  expect(repeated.is_error).toBe(true);
  expect(JSON.parse(repeated.content).error).toBe('repeated_call');

  expect(await runEffects(harness.services.url, handle)).toEqual([]);
});

test("a 429 with retry-after: 2 is retried by Temporal with the server's delay as its next retry delay; the SDK never retries", async () => {
  const handle = await harness.start(`ratelimit-${Date.now()}`, { agent: 'travel', task: 'Patience' });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  const attempts = requestsOf(handle.workflowId);
  expect(attempts.map((attempt) => [attempt.turn, attempt.attempt, attempt.status])).toEqual([
    [1, 1, 429],
    [1, 2, 200],
  ]);
  // The attempt that succeeded records the failure before it: typed as a rate limit, with retry-after as the delay.
  const { events } = await handle.fetchHistory();
  const retried = events?.find((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 0) > 1)?.activityTaskStartedEventAttributes;
  expect(retried?.attempt).toBe(2);
  const failure = retried?.lastFailure?.applicationFailureInfo;
  expect(failure?.type).toBe('ModelInvocationError.RateLimit');
  expect(failure?.nonRetryable).toBeFalsy();
  expect(Number(failure?.nextRetryDelay?.seconds ?? 0)).toBe(2);
});

test('a 400 is attempted once and ends the run with a rollback, not a failure', async () => {
  const handle = await harness.start(`badrequest-${Date.now()}`, { agent: 'travel', task: 'Broken request' });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/ModelInvocationError|400/);
  expect(requestsOf(handle.workflowId)).toHaveLength(1);
});

test('an exhausted budget pauses the run; a top-up resumes it', async () => {
  const handle = await harness.start(`budget-${Date.now()}`, { agent: 'travel', task: 'Small budget', budget: { maxSteps: 2 } });
  const paused = await harness.waitFor(handle, (state) => state.status === 'budget_exhausted');
  expect(paused.steps).toBe(2);
  expect(paused.budget.exhausted).toMatch(/2 of 2 steps/);
  const refused = await handle.executeUpdate(extendBudgetUpdate, { args: [{ by: 'ops', steps: -1 }] }).then(
    () => null,
    (err: { cause?: Error }) => err,
  );
  expect(refused?.cause?.message).toMatch(/positive/);
  const limits = await handle.executeUpdate(extendBudgetUpdate, { args: [{ by: 'ops', steps: 5 }] });
  expect(limits.maxSteps).toBe(7);
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'budget-topped-up');
  expect(outcome.status).toBe('completed');
  expect(outcome.steps).toBe(4);
});

test('an exhausted budget that is aborted rolls back what the run did', async () => {
  const handle = await harness.start(`budget-abort-${Date.now()}`, { agent: 'travel', task: 'Small budget', budget: { maxSteps: 1 } });
  await harness.waitFor(handle, (state) => state.status === 'budget_exhausted');
  await handle.executeUpdate(abortUpdate, { args: [{ by: 'ops', reason: 'not worth it' }] });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'budget-aborted');
  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/aborted by ops/);
  expect(outcome.effects.map((effect) => [effect.tool, effect.compensation])).toEqual([['book_flight', 'compensated']]);
});

test('a bad run input is refused with a clear failure, not retried forever', async () => {
  const handle = await harness.start(`invalid-${Date.now()}`, { agent: 'nobody', task: 'x' });
  const failure = await handle.result().catch((err: unknown) => err);
  expect((failure as WorkflowFailedError).name).toBe('WorkflowFailedError');
  expect(((failure as WorkflowFailedError).cause as { type?: string }).type).toBe('InvalidInput.UnknownAgent');
});

test(`a ${LONG_RUN_TURNS}-step run continues as new and Claude sees the same conversation as without it`, async () => {
  const budget = { maxSteps: 1000, maxCallsPerTool: 1000 };
  const [chained, single] = await Promise.all([
    harness.start(`long-chained-${Date.now()}`, { agent: 'travel', task: 'A long walk', budget, continueAsNewAfterTurns: 50 }),
    harness.start(`long-single-${Date.now()}`, { agent: 'travel', task: 'A long walk', budget, continueAsNewAfterTurns: 1000 }),
  ]);
  const [chainedOutcome, singleOutcome] = await Promise.all([outcomeOf(chained), outcomeOf(single)]);
  expect(chainedOutcome.status).toBe('completed');
  expect(chainedOutcome.steps).toBe(LONG_RUN_TURNS);
  expect(singleOutcome.steps).toBe(LONG_RUN_TURNS);
  expect((await chained.query(getStateQuery)).continuedAsNew).toBe(2);

  // Claude's tool_use ids are random per answer; everything else must match exactly.
  const view = (workflowId: string) =>
    requestsOf(workflowId)
      .filter((request) => request.status === 200)
      .map((request) => JSON.stringify(request.body.messages).replace(/toolu_[A-Za-z0-9]+/g, 'toolu_'));
  const chainedView = view(chained.workflowId);
  expect(chainedView).toHaveLength(LONG_RUN_TURNS);
  expect(chainedView).toEqual(view(single.workflowId));
  await captureFixture(chained, 'long-run');
}, 240_000);
