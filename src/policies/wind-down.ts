/**
 * Wind-down: once any budget is spent past a threshold, Claude is told what remains and asked to finish, so a run
 * ends with an answer instead of parking in `budget_exhausted`. The notice goes after the cached prefix (the
 * worker appends it to the newest user turn, behind the cache breakpoint), so it never breaks the prompt cache.
 */
import type { BudgetSnapshot } from './budget';

/** The share of any budget after which Claude is asked to finish. */
export const DEFAULT_WIND_DOWN_AT = 0.9;

interface Spent {
  what: string;
  used: number;
  limit: number;
  left: string;
}

/** The notice for this call, or null while every budget is below `threshold` (a share, 0 to 1). */
export function windDownNotice({ limits, usage, steps, startedAtMs, nowMs, pausedMs = 0 }: BudgetSnapshot, threshold: number): string | null {
  const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const elapsedMs = Math.max(0, nowMs - startedAtMs - pausedMs);
  const spent: Spent[] = [
    // This call is a step: count it, so the last step is announced as the last.
    { what: 'model turns', used: steps + 1, limit: limits.maxSteps, left: `${Math.max(0, limits.maxSteps - steps - 1)} more turn(s) after this one` },
    { what: 'input tokens', used: input, limit: limits.maxInputTokens, left: `${Math.max(0, limits.maxInputTokens - input)} input tokens` },
    {
      what: 'output tokens',
      used: usage.outputTokens,
      limit: limits.maxOutputTokens,
      left: `${Math.max(0, limits.maxOutputTokens - usage.outputTokens)} output tokens`,
    },
    { what: 'cost', used: usage.costUsd, limit: limits.maxCostUsd, left: `$${Math.max(0, limits.maxCostUsd - usage.costUsd).toFixed(4)}` },
    { what: 'wall clock', used: elapsedMs, limit: limits.maxWallClockMs, left: `${Math.max(0, Math.round((limits.maxWallClockMs - elapsedMs) / 1000))}s` },
  ];
  const over = spent.filter((budget) => budget.limit > 0 && budget.used / budget.limit >= threshold);
  if (over.length === 0) return null;
  const lines = over.map((budget) => `${budget.what}: ${Math.min(100, Math.round((budget.used / budget.limit) * 100))}% used, ${budget.left} left`);
  return (
    `[budget notice from the run, not from the user] ${lines.join('; ')}. ` +
    'Finish now: complete or wrap up the steps already under way, start nothing new that needs more turns, and give your final answer.'
  );
}
