/** Budget rules: pure functions of the limits, what was used, and the time now. */
import type { BudgetTopUp } from '../shared/messages';
import type { BudgetLimits, RunUsage } from '../shared/run';

export const DEFAULT_LIMITS: BudgetLimits = {
  maxSteps: 40,
  maxInputTokens: 2_000_000,
  maxOutputTokens: 200_000,
  maxCostUsd: 5,
  maxWallClockMs: 60 * 60 * 1000,
  maxCallsPerTool: 20,
  maxIdenticalCalls: 3,
  topUpTimeoutMs: 24 * 60 * 60 * 1000,
};

export const ZERO_USAGE: RunUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
};

export function resolveLimits(partial: Partial<BudgetLimits> | undefined): BudgetLimits {
  return { ...DEFAULT_LIMITS, ...stripUndefined(partial ?? {}) };
}

export type BudgetCheck = { kind: 'ok' } | { kind: 'exhausted'; limit: keyof BudgetLimits; reason: string };

export interface BudgetSnapshot {
  limits: BudgetLimits;
  usage: RunUsage;
  steps: number;
  startedAtMs: number;
  nowMs: number;
  /** Time since the start spent waiting for a person; the wall clock does not count it. @default 0 */
  pausedMs?: number;
}

/** Whether one more model call fits in the budget. Called before every model call. */
export function checkBudget({ limits, usage, steps, startedAtMs, nowMs, pausedMs = 0 }: BudgetSnapshot): BudgetCheck {
  const totalInput = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  if (steps >= limits.maxSteps) return exhausted('maxSteps', `${steps} of ${limits.maxSteps} steps used`);
  if (totalInput >= limits.maxInputTokens) {
    return exhausted('maxInputTokens', `${totalInput} of ${limits.maxInputTokens} input tokens used`);
  }
  if (usage.outputTokens >= limits.maxOutputTokens) {
    return exhausted('maxOutputTokens', `${usage.outputTokens} of ${limits.maxOutputTokens} output tokens used`);
  }
  if (usage.costUsd >= limits.maxCostUsd) {
    return exhausted('maxCostUsd', `$${usage.costUsd.toFixed(4)} of $${limits.maxCostUsd} spent`);
  }
  const elapsed = nowMs - startedAtMs - pausedMs;
  if (elapsed >= limits.maxWallClockMs) {
    return exhausted('maxWallClockMs', `${Math.round(elapsed / 1000)}s of ${Math.round(limits.maxWallClockMs / 1000)}s wall clock used`);
  }
  return { kind: 'ok' };
}

/**
 * Whether a call Claude asked for may run: its step was taken when Claude asked, so the step limit is not counted
 * again (a call approved in the budget's last step runs); every other limit is.
 */
export function checkBudgetForCall(snapshot: BudgetSnapshot): BudgetCheck {
  return checkBudget({ ...snapshot, steps: 0 });
}

/** Raises the limits by a top-up. Negative or absurd amounts are refused by `validateTopUp`. */
export function applyTopUp(limits: BudgetLimits, topUp: BudgetTopUp): BudgetLimits {
  return {
    ...limits,
    maxCostUsd: limits.maxCostUsd + (topUp.usd ?? 0),
    maxSteps: limits.maxSteps + (topUp.steps ?? 0),
    maxInputTokens: limits.maxInputTokens + (topUp.inputTokens ?? 0),
    maxOutputTokens: limits.maxOutputTokens + (topUp.outputTokens ?? 0),
    maxWallClockMs: limits.maxWallClockMs + (topUp.wallClockMs ?? 0),
    maxCallsPerTool: limits.maxCallsPerTool + (topUp.callsPerTool ?? 0),
  };
}

export type TopUpCheck = { ok: true } | { ok: false; why: string };

export function validateTopUp(topUp: BudgetTopUp): TopUpCheck {
  if (!topUp.by || typeof topUp.by !== 'string') return { ok: false, why: 'a top-up needs `by`: who grants it' };
  const amounts = [topUp.usd, topUp.steps, topUp.inputTokens, topUp.outputTokens, topUp.wallClockMs, topUp.callsPerTool];
  const given = amounts.filter((amount) => amount !== undefined);
  if (given.length === 0) return { ok: false, why: 'a top-up needs at least one amount (usd, steps, tokens, wall clock)' };
  if (given.some((amount) => typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)) {
    return { ok: false, why: 'top-up amounts must be positive numbers' };
  }
  return { ok: true };
}

/** Adds one model call's usage and cost to the run's totals. */
export function addUsage(
  total: RunUsage,
  call: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number },
  costUsd: number,
): RunUsage {
  return {
    inputTokens: total.inputTokens + call.input_tokens,
    outputTokens: total.outputTokens + call.output_tokens,
    cacheReadTokens: total.cacheReadTokens + call.cache_read_input_tokens,
    cacheWriteTokens: total.cacheWriteTokens + call.cache_creation_input_tokens,
    costUsd: roundUsd(total.costUsd + costUsd),
  };
}

/** Two runs' usage together: a sub-agent's counts against its parent's budget. */
export function sumUsage(total: RunUsage, more: RunUsage): RunUsage {
  return {
    inputTokens: total.inputTokens + more.inputTokens,
    outputTokens: total.outputTokens + more.outputTokens,
    cacheReadTokens: total.cacheReadTokens + more.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens + more.cacheWriteTokens,
    costUsd: roundUsd(total.costUsd + more.costUsd),
  };
}

export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

function exhausted(limit: keyof BudgetLimits, reason: string): BudgetCheck {
  return { kind: 'exhausted', limit, reason: `budget exhausted: ${reason}` };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
