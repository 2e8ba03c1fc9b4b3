/**
 * An outage is not a business outcome (DESIGN.md, guarantee 11), on the real dev server with the scripted model's
 * outage switches: a run that booked something and then meets a model answering 529 to everything pauses in
 * `model_unavailable` (nothing undone) and completes once the model is back, each effect done once; with a
 * fallback model it completes on the fallback during the outage; a revoked key pauses with a reason naming it and
 * goes on after the key is restored and an operator resumes it; past the horizon the run rolls back, saying so.
 * Also: the wind-down notice reaches Claude in the newest user turn, behind the cache breakpoint.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario } from '../../src/dev/scenario';
import { resumeModelUpdate, type AgentRunInput } from '../../src/shared/contracts';
import { AgentStatus } from '../../src/shared/search-attributes';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { runLedger } from '../helpers/services';

const FLIGHT = { flightId: 'TP-1234', passenger: 'Ada Lovelace' };
const PRIMARY = 'claude-sonnet-4-6';
const FALLBACK = 'claude-haiku-4-5';
/** Quick pauses so a test waits seconds: one retry of each model, then 1 s between tries. */
const QUICK: AgentRunInput['modelOutage'] = { fallbackAfter: 2, attemptsPerModel: 2, retryInitialMs: 1000, retryMaxMs: 2000, horizonMs: 10 * 60 * 1000 };

/** Turn 1 books a flight, turn 2 answers; `afterBooking` runs when turn 1 is answered (an outage begins). */
function bookThenAnswer(name: string, prefix: string, afterBooking: () => void = () => undefined): RespondingScenario {
  return {
    name,
    match: { runIdPrefix: prefix },
    respond(ctx) {
      if (ctx.turn === 1) {
        afterBooking();
        return { content: [{ type: 'tool_use', name: 'book_flight', input: FLIGHT }] };
      }
      return { content: [{ type: 'text', text: `Booked after ${ctx.turn - 1} turn(s).` }] };
    },
  };
}

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('model-outage', [
    bookThenAnswer('outage', 'mo-outage-', () => harness.model.setOutage({})),
    bookThenAnswer('fallback', 'mo-fallback-', () => harness.model.setOutage({ status: 500, type: 'overloaded_error', models: [PRIMARY], durationMs: 60_000 })),
    bookThenAnswer('horizon', 'mo-horizon-', () => harness.model.setOutage({ durationMs: 60_000 })),
    bookThenAnswer('revoked', 'mo-revoked-'),
    {
      name: 'wind-down',
      match: { runIdPrefix: 'mo-wind-' },
      respond: (ctx) =>
        ctx.turn < 3
          ? { content: [{ type: 'tool_use', name: 'search_flights', input: { from: 'LHR', to: 'LIS', date: '2026-07-03' } }] }
          : { content: [{ type: 'text', text: 'Done.' }] },
    },
  ]);
});
afterEach(() => {
  harness.model.setOutage(null);
  harness.model.revokeKeys([]);
});
afterAll(() => harness?.stop());

const idOf = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;
const statusAttribute = async (handle: WorkflowHandle) => (await handle.describe()).typedSearchAttributes.get(AgentStatus);

test('a model outage after a booking pauses the run, undoes nothing, and the run completes once the model is back', async () => {
  const workflowId = idOf('mo-outage-');
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book flight TP-1234', modelOutage: QUICK });

  const paused = await harness.waitFor(handle, (state) => state.status === 'model_unavailable');
  expect(paused.statusDetail).toMatch(/model unavailable since .*last error \(claude-sonnet-4-6\): .*529.*next try at .*sagent resume/);
  expect(paused.effects.map((effect) => [effect.tool, effect.state, effect.compensation])).toEqual([['book_flight', 'committed', 'registered']]);
  expect(paused.timeline.some((entry) => entry.kind === 'model' && entry.state === 'waiting' && /next try at/.test(entry.title))).toBe(true);
  expect(await statusAttribute(handle)).toBe('model_unavailable');

  // The provider comes back; the run finds out at its next try, with no one stepping in.
  harness.model.setOutage(null);
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'model-outage-resumed');
  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((effect) => [effect.tool, effect.state, effect.compensation])).toEqual([['book_flight', 'committed', 'registered']]);
  const ledger = await runLedger(harness.services.url, workflowId);
  expect(ledger.effects.map((effect) => [effect.operation, effect.state])).toEqual([['flight_booking', 'active']]);
  expect(ledger.undos).toEqual([]);
  const overloaded = harness.model.requests.filter((request) => request.runId === workflowId && request.errorType === 'overloaded_error');
  expect(overloaded.length).toBeGreaterThanOrEqual(2);
  expect(await statusAttribute(handle)).toBe('completed');
});

test('with a fallback model the run completes during the outage on the fallback, classified by the error type, the switch recorded', async () => {
  const workflowId = idOf('mo-fallback-');
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book flight TP-1234', fallbackModels: [FALLBACK], modelOutage: QUICK });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'model-fallback');

  expect(outcome.status).toBe('completed');
  // The outage answered 500 with `overloaded_error`: the provider's type, not the status, sent the call to the fallback.
  const primaryTries = harness.model.requests.filter(
    (request) => request.runId === workflowId && request.turn === 2 && request.body && (request.body as { model: string }).model === PRIMARY,
  );
  expect(primaryTries.map((request) => [request.status, request.errorType])).toEqual([
    [500, 'overloaded_error'],
    [500, 'overloaded_error'],
  ]);
  const state = await handle.query('getState');
  const models = (state as { models: { usage: Record<string, { outputTokens: number }>; switches: number; fallbacks: number } }).models;
  expect(Object.keys(models.usage).sort()).toEqual([FALLBACK, PRIMARY].sort());
  expect(models.usage[FALLBACK].outputTokens).toBeGreaterThan(0);
  expect(models.switches).toBe(1);
  expect(models.fallbacks).toBe(1);
  const timeline = (state as { timeline: Array<{ kind: string; title: string; state: string }> }).timeline;
  expect(timeline.some((entry) => entry.title === `fallback: ${PRIMARY} → ${FALLBACK}`)).toBe(true);
  expect(timeline.some((entry) => entry.kind === 'model' && entry.title === `${FALLBACK} · turn 2 · fallback` && entry.state === 'ok')).toBe(true);
  expect(outcome.models?.usage[FALLBACK]).toBeDefined();
});

test('a revoked key pauses with a reason naming it, and the run goes on once the key is restored and an operator resumes it', async () => {
  const workflowId = idOf('mo-revoked-');
  harness.model.revokeKeys(['test']);
  // Tries again only after 10 minutes by itself: the resume is what moves it within the test.
  const handle = await harness.start(workflowId, {
    agent: 'travel',
    task: 'Book flight TP-1234',
    modelOutage: { ...QUICK, retryInitialMs: 600_000, retryMaxMs: 600_000 },
  });
  const paused = await harness.waitFor(handle, (state) => state.status === 'model_unavailable');
  expect(paused.statusDetail).toMatch(
    /paused until someone fixes it: the API key was refused \(401 authentication_error, revoked or invalid\): give the workers a valid ANTHROPIC_API_KEY/,
  );
  expect(paused.effects).toEqual([]);

  harness.model.revokeKeys([]);
  await handle.executeUpdate(resumeModelUpdate, { args: [{ by: 'ops', reason: 'key restored' }] });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((effect) => [effect.tool, effect.state])).toEqual([['book_flight', 'committed']]);
  const state = await handle.query('getState');
  expect((state as { timeline: Array<{ title: string }> }).timeline.some((entry) => entry.title === 'resumed by ops')).toBe(true);
});

test('past the horizon the run set, a run whose model stays down rolls back and says why', async () => {
  const workflowId = idOf('mo-horizon-');
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Book flight TP-1234', modelOutage: { ...QUICK, horizonMs: 3000 } });
  const outcome = await outcomeOf(handle);

  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(
    /^deadline set by the run: the model stayed unavailable for \d+s, past the 3s the run allows \(modelOutage\.horizonMs\); last error/,
  );
  expect(outcome.effects.map((effect) => [effect.tool, effect.compensation])).toEqual([['book_flight', 'compensated']]);
  const ledger = await runLedger(harness.services.url, workflowId);
  expect(ledger.effects.map((effect) => [effect.operation, effect.state])).toEqual([['flight_booking', 'undone']]);
});

test('near the end of its budget Claude is told what remains, after the cache breakpoint of the newest user turn', async () => {
  const workflowId = idOf('mo-wind-');
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Find flights to Lisbon', budget: { maxSteps: 3 } });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');

  const bodies = harness.model.requests
    .filter((request) => request.runId === workflowId && request.status === 200)
    .map((request) => request.body as { messages: Array<{ role: string; content: Array<{ type: string; text?: string; cache_control?: unknown }> }> });
  const lastBlocks = bodies.map((body) => body.messages.at(-1)!.content);
  // Turns 1 and 2 use two thirds of the steps at most: no notice; turn 3, the last step, passes 90 %.
  expect(
    lastBlocks
      .slice(0, 2)
      .flat()
      .some((block) => block.text?.includes('[budget notice')),
  ).toBe(false);
  const last = lastBlocks[2];
  expect(last.at(-1)!.text).toMatch(
    /^\[budget notice from the run, not from the user\] model turns: 100% used, 0 more turn\(s\) after this one left.*Finish now/,
  );
  expect(last.at(-1)!.cache_control).toBeUndefined();
  expect(last.at(-2)!.cache_control).toEqual({ type: 'ephemeral' });

  // The model call's input carries the figures, never the notice; one marker stands for every bundled patch.
  const history = await handle.fetchHistory();
  const scheduled = history.events!.flatMap((event) => event.activityTaskScheduledEventAttributes ?? []);
  const inputs = scheduled.filter((attributes) => attributes.activityType?.name === 'callModel').map((attributes) => JSON.stringify(attributes.input));
  expect(inputs).toHaveLength(3);
  expect(inputs.some((input) => input.includes('budget notice'))).toBe(false);
  const markers = history.events!.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(markers).toHaveLength(1);
  await captureFixture(handle, 'wind-down-bundled');
});
