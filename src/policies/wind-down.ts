/**
 * Wind-down: once any budget is spent past a threshold, Claude is told what remains and asked to finish, so a run
 * ends with an answer instead of parking in `budget_exhausted`. The notice goes after the cached prefix (the
 * worker appends it to the newest user turn, behind the cache breakpoint), so it never breaks the prompt cache; its
 * tokens are the only uncached input of such a call. The workflow sends the figures, the worker words them.
 */
import type { WindDownBudget, WindDownFigure } from '../shared/activity-io';
import type { BudgetSnapshot } from './budget';

/** The share of any budget after which Claude is asked to finish. */
export const DEFAULT_WIND_DOWN_AT = 0.9;

/** How each budget is named to Claude, and how what is left of it is said. */
const WORDING: Record<WindDownBudget, { what: string; left: (left: number) => string }> = {
  turns: { what: 'model turns', left: (left) => `${left} more turn(s) after this one` },
  inputTokens: { what: 'input tokens', left: (left) => `${left} input tokens` },
  outputTokens: { what: 'output tokens', left: (left) => `${left} output tokens` },
  costUsd: { what: 'cost', left: (left) => `$${left.toFixed(4)}` },
  wallClockSeconds: { what: 'wall clock', left: (left) => `${left}s` },
};

/** The budgets spent past `threshold` (a share, 0 to 1) at this call, or null while every one is below it. */
export function windDownFigures({ limits, usage, steps, startedAtMs, nowMs, pausedMs = 0 }: BudgetSnapshot, threshold: number): WindDownFigure[] | null {
  const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const elapsedMs = Math.max(0, nowMs - startedAtMs - pausedMs);
  const spent: { budget: WindDownBudget; used: number; limit: number; left: number }[] = [
    // This call is a step: count it, so the last step is announced as the last.
    { budget: 'turns', used: steps + 1, limit: limits.maxSteps, left: Math.max(0, limits.maxSteps - steps - 1) },
    { budget: 'inputTokens', used: input, limit: limits.maxInputTokens, left: Math.max(0, limits.maxInputTokens - input) },
    { budget: 'outputTokens', used: usage.outputTokens, limit: limits.maxOutputTokens, left: Math.max(0, limits.maxOutputTokens - usage.outputTokens) },
    { budget: 'costUsd', used: usage.costUsd, limit: limits.maxCostUsd, left: Math.round(Math.max(0, limits.maxCostUsd - usage.costUsd) * 1e4) / 1e4 },
    { budget: 'wallClockSeconds', used: elapsedMs, limit: limits.maxWallClockMs, left: Math.max(0, Math.round((limits.maxWallClockMs - elapsedMs) / 1000)) },
  ];
  const over = spent.filter((budget) => budget.limit > 0 && budget.used / budget.limit >= threshold);
  if (over.length === 0) return null;
  return over.map(({ budget, used, limit, left }) => ({ budget, usedPct: Math.min(100, Math.round((used / limit) * 100)), left }));
}

/** What the figures say, one budget after the other: "model turns: 90% used, 3 more turn(s) after this one left". */
export function windDownSummary(figures: readonly WindDownFigure[]): string {
  return figures
    .flatMap(({ budget, usedPct, left }) => {
      const wording = Object.hasOwn(WORDING, budget) ? WORDING[budget] : undefined;
      return wording && Number.isFinite(usedPct) && Number.isFinite(left) ? [`${wording.what}: ${usedPct}% used, ${wording.left(left)} left`] : [];
    })
    .join('; ');
}

/** The notice Claude reads for these figures; undefined when there are none (or none this code knows). */
export function windDownText(figures: readonly WindDownFigure[] | undefined): string | undefined {
  const summary = Array.isArray(figures) ? windDownSummary(figures) : '';
  if (!summary) return undefined;
  return (
    `[budget notice from the run, not from the user] ${summary}. ` +
    'Finish now: complete or wrap up the steps already under way, start nothing new that needs more turns, and give your final answer.'
  );
}

/** The notice for this call, or null while every budget is below `threshold` (a share, 0 to 1). */
export function windDownNotice(snapshot: BudgetSnapshot, threshold: number): string | null {
  const figures = windDownFigures(snapshot, threshold);
  return figures ? (windDownText(figures) ?? null) : null;
}
