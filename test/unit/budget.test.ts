/** Budget policy: every limit is checked at its boundary, top-ups raise limits, and bad top-ups are refused. */
import {
  addUsage,
  applyTopUp,
  checkBudget,
  checkBudgetForCall,
  DEFAULT_LIMITS,
  resolveLimits,
  roundUsd,
  validateTopUp,
  ZERO_USAGE,
  type BudgetSnapshot,
} from '../../src/policies/budget';
import type { BudgetLimits, BudgetTopUp, RunUsage } from '../../src/shared/contracts';

const STARTED_AT_MS = 1_700_000_000_000;

const LIMITS: BudgetLimits = {
  maxSteps: 10,
  maxInputTokens: 1_000,
  maxOutputTokens: 500,
  maxCostUsd: 2,
  maxWallClockMs: 60_000,
  maxCallsPerTool: 5,
  maxIdenticalCalls: 2,
  topUpTimeoutMs: 30_000,
};

function snapshot(overrides: Partial<Omit<BudgetSnapshot, 'usage'>> & { usage?: Partial<RunUsage> } = {}): BudgetSnapshot {
  return {
    limits: overrides.limits ?? LIMITS,
    usage: { ...ZERO_USAGE, ...overrides.usage },
    steps: overrides.steps ?? 0,
    startedAtMs: overrides.startedAtMs ?? STARTED_AT_MS,
    nowMs: overrides.nowMs ?? STARTED_AT_MS,
    ...(overrides.pausedMs !== undefined ? { pausedMs: overrides.pausedMs } : {}),
  };
}

describe('checkBudgetForCall', () => {
  it("lets a call asked for in the budget's last step run: the step was spent by the asking", () => {
    expect(checkBudgetForCall(snapshot({ steps: 10 }))).toEqual({ kind: 'ok' });
  });

  it('still refuses a call once another limit is spent', () => {
    expect(checkBudgetForCall(snapshot({ steps: 10, usage: { outputTokens: 500 } }))).toMatchObject({ kind: 'exhausted', limit: 'maxOutputTokens' });
  });
});

describe('checkBudget', () => {
  it('lets a fresh run make its first call', () => {
    expect(checkBudget(snapshot())).toEqual({ kind: 'ok' });
  });

  it('allows the last step and refuses the one after it', () => {
    expect(checkBudget(snapshot({ steps: 9 }))).toEqual({ kind: 'ok' });
    expect(checkBudget(snapshot({ steps: 10 }))).toEqual({
      kind: 'exhausted',
      limit: 'maxSteps',
      reason: 'budget exhausted: 10 of 10 steps used',
    });
  });

  it('counts cache reads and cache writes as input tokens', () => {
    expect(checkBudget(snapshot({ usage: { inputTokens: 500, cacheReadTokens: 300, cacheWriteTokens: 199 } }))).toEqual({ kind: 'ok' });
    expect(checkBudget(snapshot({ usage: { inputTokens: 500, cacheReadTokens: 300, cacheWriteTokens: 200 } }))).toEqual({
      kind: 'exhausted',
      limit: 'maxInputTokens',
      reason: 'budget exhausted: 1000 of 1000 input tokens used',
    });
  });

  it('refuses once the output tokens reach the limit', () => {
    expect(checkBudget(snapshot({ usage: { outputTokens: 499 } }))).toEqual({ kind: 'ok' });
    expect(checkBudget(snapshot({ usage: { outputTokens: 500 } }))).toEqual({
      kind: 'exhausted',
      limit: 'maxOutputTokens',
      reason: 'budget exhausted: 500 of 500 output tokens used',
    });
  });

  it('refuses once the cost reaches the limit, showing dollars to four places', () => {
    expect(checkBudget(snapshot({ usage: { costUsd: 1.999999 } }))).toEqual({ kind: 'ok' });
    expect(checkBudget(snapshot({ usage: { costUsd: 2.01234 } }))).toEqual({
      kind: 'exhausted',
      limit: 'maxCostUsd',
      reason: 'budget exhausted: $2.0123 of $2 spent',
    });
  });

  it('measures wall clock from the run start to the nowMs it is given', () => {
    expect(checkBudget(snapshot({ nowMs: STARTED_AT_MS + 59_999 }))).toEqual({ kind: 'ok' });
    expect(checkBudget(snapshot({ nowMs: STARTED_AT_MS + 60_000 }))).toEqual({
      kind: 'exhausted',
      limit: 'maxWallClockMs',
      reason: 'budget exhausted: 60s of 60s wall clock used',
    });
    expect(checkBudget(snapshot({ nowMs: STARTED_AT_MS + 90_400 }))).toMatchObject({
      limit: 'maxWallClockMs',
      reason: 'budget exhausted: 90s of 60s wall clock used',
    });
  });

  it('leaves time spent waiting for a person off the wall clock', () => {
    // A 24-hour approval wait in a run with a one-minute budget: the run itself used 59 s.
    const day = 24 * 60 * 60 * 1000;
    expect(checkBudget(snapshot({ nowMs: STARTED_AT_MS + day + 59_000, pausedMs: day }))).toEqual({ kind: 'ok' });
    expect(checkBudget(snapshot({ nowMs: STARTED_AT_MS + day + 61_000, pausedMs: day }))).toMatchObject({
      limit: 'maxWallClockMs',
      reason: 'budget exhausted: 61s of 60s wall clock used',
    });
  });

  it('reports the first exhausted limit in a fixed order: steps, input, output, cost, wall clock', () => {
    const everythingSpent = snapshot({
      steps: 10,
      usage: { inputTokens: 1_000, outputTokens: 500, costUsd: 2 },
      nowMs: STARTED_AT_MS + 60_000,
    });
    expect(checkBudget(everythingSpent)).toMatchObject({ limit: 'maxSteps' });
    expect(checkBudget({ ...everythingSpent, steps: 0 })).toMatchObject({ limit: 'maxInputTokens' });
    expect(checkBudget({ ...everythingSpent, steps: 0, usage: { ...everythingSpent.usage, inputTokens: 0 } })).toMatchObject({
      limit: 'maxOutputTokens',
    });
  });
});

describe('applyTopUp', () => {
  it('raises every limit a top-up names and leaves the others alone', () => {
    const raised = applyTopUp(LIMITS, {
      by: 'ops@example.com',
      usd: 1.5,
      steps: 5,
      inputTokens: 100,
      outputTokens: 50,
      wallClockMs: 10_000,
      callsPerTool: 3,
    });
    expect(raised).toEqual({
      maxSteps: 15,
      maxInputTokens: 1_100,
      maxOutputTokens: 550,
      maxCostUsd: 3.5,
      maxWallClockMs: 70_000,
      maxCallsPerTool: 8,
      maxIdenticalCalls: 2,
      topUpTimeoutMs: 30_000,
    });
  });

  it('changes only the amounts given and does not mutate the limits it was passed', () => {
    const before = { ...LIMITS };
    expect(applyTopUp(LIMITS, { by: 'ops', usd: 3 })).toEqual({ ...LIMITS, maxCostUsd: 5 });
    expect(LIMITS).toEqual(before);
  });

  it('turns an exhausted run back into one that may continue', () => {
    const spent = snapshot({ usage: { costUsd: 2 } });
    expect(checkBudget(spent).kind).toBe('exhausted');
    expect(checkBudget({ ...spent, limits: applyTopUp(LIMITS, { by: 'ops', usd: 1 }) })).toEqual({ kind: 'ok' });
  });
});

describe('validateTopUp', () => {
  it('accepts a top-up with a grantor and a positive amount', () => {
    expect(validateTopUp({ by: 'ops', usd: 0.5 })).toEqual({ ok: true });
    expect(validateTopUp({ by: 'ops', steps: 1, wallClockMs: 1 })).toEqual({ ok: true });
  });

  it.each<[string, unknown]>([
    ['no by', { usd: 1 }],
    ['an empty by', { by: '', usd: 1 }],
    ['a by that is not a string', { by: 42, usd: 1 }],
  ])('refuses a top-up with %s', (_label, topUp) => {
    expect(validateTopUp(topUp as BudgetTopUp)).toEqual({ ok: false, why: 'a top-up needs `by`: who grants it' });
  });

  it('refuses a top-up that names no amount', () => {
    expect(validateTopUp({ by: 'ops' })).toEqual({
      ok: false,
      why: 'a top-up needs at least one amount (usd, steps, tokens, wall clock)',
    });
  });

  it.each<[string, Partial<Record<keyof BudgetTopUp, unknown>>]>([
    ['a negative amount', { usd: -1 }],
    ['a zero amount', { steps: 0 }],
    ['NaN', { inputTokens: Number.NaN }],
    ['Infinity', { outputTokens: Number.POSITIVE_INFINITY }],
    ['a numeric string', { usd: '5' }],
    ['one bad amount among good ones', { usd: 1, callsPerTool: -2 }],
  ])('refuses %s', (_label, amounts) => {
    expect(validateTopUp({ by: 'ops', ...amounts } as BudgetTopUp)).toEqual({ ok: false, why: 'top-up amounts must be positive numbers' });
  });
});

describe('addUsage', () => {
  it('adds one call to the totals, mapping the API field names', () => {
    const total: RunUsage = { inputTokens: 10, outputTokens: 20, cacheReadTokens: 30, cacheWriteTokens: 40, costUsd: 0.5 };
    const next = addUsage(total, { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 3, cache_creation_input_tokens: 4 }, 0.25);
    expect(next).toEqual({ inputTokens: 11, outputTokens: 22, cacheReadTokens: 33, cacheWriteTokens: 44, costUsd: 0.75 });
    expect(total.inputTokens).toBe(10);
  });

  it('rounds the running cost to a millionth of a dollar so float error does not accumulate', () => {
    let usage = ZERO_USAGE;
    const call = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    for (let index = 0; index < 10; index++) usage = addUsage(usage, call, 0.1);
    expect(usage.costUsd).toBe(1);
    expect(roundUsd(0.1 + 0.2)).toBe(0.3);
    expect(roundUsd(0.0000014)).toBe(0.000001);
  });
});

describe('resolveLimits', () => {
  it('uses the defaults when no limits are given', () => {
    expect(resolveLimits(undefined)).toEqual({
      maxSteps: 40,
      maxInputTokens: 2_000_000,
      maxOutputTokens: 200_000,
      maxCostUsd: 5,
      maxWallClockMs: 3_600_000,
      maxCallsPerTool: 20,
      maxIdenticalCalls: 3,
      topUpTimeoutMs: 86_400_000,
    });
  });

  it('overrides only the limits given; an explicit undefined keeps the default', () => {
    expect(resolveLimits({ maxSteps: 3, maxCostUsd: undefined })).toEqual({ ...DEFAULT_LIMITS, maxSteps: 3 });
  });

  it('returns a fresh object, so a caller cannot change the defaults', () => {
    const limits = resolveLimits({});
    limits.maxSteps = 1;
    expect(DEFAULT_LIMITS.maxSteps).toBe(40);
  });
});
