/** The outage policy: which failures fall back, pause or end the saga; the waits of a paused run; its horizon. */
import { DEFAULT_LIMITS } from '../../src/policies/budget';
import { attemptsFor, bookModelTurn, classifyModelFailure, modelsToTry, outageVerdict, resolveModelOutage, startIndex } from '../../src/policies/model-outage';
import { windDownFigures, windDownNotice, windDownSummary, windDownText } from '../../src/policies/wind-down';
import type { ModelTurn } from '../../src/shared/wire';

const NOW = Date.parse('2026-05-14T10:00:00.000Z');
const settings = resolveModelOutage(['claude-haiku-4-5', 'claude-opus-4-6'], { retryInitialMs: 1000, retryMaxMs: 8000, horizonMs: 60_000 });

describe('classifyModelFailure', () => {
  it.each([
    ['ModelInvocationError.Overloaded', 'overloaded'],
    ['ModelInvocationError.RateLimit', 'overloaded'],
    ['ModelInvocationError.Server', 'unavailable'],
    ['ModelInvocationError.Timeout', 'unavailable'],
    ['ModelInvocationError.Connection', 'unavailable'],
    [undefined, 'unavailable'],
    ['ModelInvocationError.Authentication', 'fixable'],
    ['ModelInvocationError.PermissionDenied', 'fixable'],
    ['ModelInvocationError.NotFound', 'fixable'],
    ['ModelInvocationError.SpendLimit', 'fixable'],
    ['ModelInvocationError.BadRequest', 'fatal'],
    ['ModelInvocationError.RequestTooLarge', 'fatal'],
    ['ModelInvocationError.AnswerTooLarge', 'fatal'],
  ])('%s → %s', (type, kind) => {
    expect(classifyModelFailure(type, 'claude-sonnet-4-6').kind).toBe(kind);
  });

  it('says what a person must fix', () => {
    expect(classifyModelFailure('ModelInvocationError.Authentication', 'm')).toMatchObject({ fix: expect.stringContaining('ANTHROPIC_API_KEY') });
    expect(classifyModelFailure('ModelInvocationError.NotFound', 'claude-nope')).toMatchObject({ fix: expect.stringContaining('claude-nope') });
  });
});

describe('fallback order', () => {
  it('tries the chosen model, then each fallback once', () => {
    expect(modelsToTry('claude-sonnet-4-6', settings)).toEqual(['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-6']);
    expect(modelsToTry('claude-opus-4-6', settings)).toEqual(['claude-opus-4-6', 'claude-haiku-4-5']);
  });

  it('starts at the fallback during its cool-down, and at the first model after it', () => {
    const models = modelsToTry('claude-sonnet-4-6', settings);
    expect(startIndex(models, { model: 'claude-haiku-4-5', untilMs: NOW + 1 }, NOW)).toBe(1);
    expect(startIndex(models, { model: 'claude-haiku-4-5', untilMs: NOW }, NOW)).toBe(0);
    expect(startIndex(models, null, NOW)).toBe(0);
  });

  it('caps same-model attempts while a fallback is left', () => {
    expect(attemptsFor(settings, true)).toBe(3);
    expect(attemptsFor(settings, false)).toBe(4);
  });
});

describe('outageVerdict', () => {
  it('waits longer each time, up to the cap, never past the horizon', () => {
    const waits = [0, 1, 2, 3, 4].map((pauses) => outageVerdict(settings, NOW, pauses, NOW));
    expect(waits.map((verdict) => (verdict.kind === 'wait' ? verdict.delayMs : null))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(outageVerdict(settings, NOW, 9, NOW + 57_000)).toMatchObject({ kind: 'wait', delayMs: 3000, nextTryAt: new Date(NOW + 60_000).toISOString() });
  });

  it('gives up once the horizon has passed, saying which setting set it', () => {
    const verdict = outageVerdict(settings, NOW, 3, NOW + 60_000);
    expect(verdict.kind).toBe('give_up');
    expect(verdict.kind === 'give_up' && verdict.reason).toBe('the model stayed unavailable for 60s, past the 60s the run allows (modelOutage.horizonMs)');
  });

  it('defaults to hours, not minutes', () => {
    expect(resolveModelOutage(undefined, undefined).horizonMs).toBe(6 * 60 * 60 * 1000);
  });
});

describe('bookModelTurn', () => {
  const answer = (output: number): ModelTurn => ({
    model: 'x',
    content: [],
    stop_reason: 'end_turn',
    usage: { input_tokens: 10, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    cost_usd: 0.5,
    request_id: null,
  });

  it('books usage per model and counts a switch (a cold cache) whenever the answering model changes', () => {
    let book = bookModelTurn(undefined, 'a', answer(1), null, false);
    book = bookModelTurn(book, 'b', answer(2), book.last, true);
    book = bookModelTurn(book, 'b', answer(3), book.last, true);
    book = bookModelTurn(book, 'a', answer(4), book.last, false);
    expect(book.switches).toBe(2);
    expect(book.fallbacks).toBe(2);
    expect(book.usage.a.outputTokens).toBe(5);
    expect(book.usage.b.outputTokens).toBe(5);
    expect(book.usage.b.costUsd).toBe(1);
    expect(book.last).toBe('a');
  });
});

describe('windDownNotice', () => {
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
  const snapshot = { limits: { ...DEFAULT_LIMITS, maxSteps: 10, maxCostUsd: 1 }, usage, steps: 0, startedAtMs: NOW, nowMs: NOW };

  it('says nothing below the threshold', () => {
    expect(windDownNotice({ ...snapshot, steps: 7 }, 0.9)).toBeNull();
  });

  it('names every budget past the threshold and what remains, counting the call itself as a step', () => {
    const notice = windDownNotice({ ...snapshot, steps: 8, usage: { ...usage, costUsd: 0.95 } }, 0.9);
    expect(notice).toMatch(
      /^\[budget notice from the run, not from the user\] model turns: 90% used, 1 more turn\(s\) after this one left; cost: 95% used, \$0\.0500 left\. Finish now/,
    );
  });

  it('counts the wall clock without the time the run was paused', () => {
    const hour = DEFAULT_LIMITS.maxWallClockMs;
    expect(windDownNotice({ ...snapshot, nowMs: NOW + hour * 0.95 }, 0.9)).toMatch(/wall clock: 95% used/);
    expect(windDownNotice({ ...snapshot, nowMs: NOW + hour * 0.95, pausedMs: hour * 0.5 }, 0.9)).toBeNull();
  });

  // regression: the whole notice (~330 B) rode in every model call's input near the end of a budget, in history.
  it('the model call carries figures of a few bytes, and the worker words the same notice from them', () => {
    const late = { ...snapshot, steps: 8, usage: { ...usage, costUsd: 0.95 } };
    const figures = windDownFigures(late, 0.9)!;
    expect(figures).toEqual([
      { budget: 'turns', usedPct: 90, left: 1 },
      { budget: 'costUsd', usedPct: 95, left: 0.05 },
    ]);
    expect(JSON.stringify(figures).length).toBeLessThan(windDownNotice(late, 0.9)!.length / 3);
    expect(windDownText(JSON.parse(JSON.stringify(figures)))).toBe(windDownNotice(late, 0.9));
    expect(windDownSummary(figures)).toBe('model turns: 90% used, 1 more turn(s) after this one left; cost: 95% used, $0.0500 left');
    expect(windDownFigures({ ...snapshot, steps: 7 }, 0.9)).toBeNull();
  });

  it('words nothing from figures it does not know or cannot read', () => {
    expect(windDownText(undefined)).toBeUndefined();
    expect(windDownText([])).toBeUndefined();
    expect(windDownText('turns' as never)).toBeUndefined();
    expect(windDownText([{ budget: 'coffee' as never, usedPct: 99, left: 1 }])).toBeUndefined();
    expect(windDownText([{ budget: 'turns', usedPct: Number.NaN, left: 1 }])).toBeUndefined();
    expect(windDownText([{ budget: 'constructor' as never, usedPct: 99, left: 1 }])).toBeUndefined();
    expect(windDownText([{ budget: 'wallClockSeconds', usedPct: 96, left: 12 }])).toMatch(/\] wall clock: 96% used, 12s left\. Finish now/);
  });
});
