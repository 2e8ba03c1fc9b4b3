/** Budget rules of a delegation: a child spends from what its parent has left. Pure. */
import type { BudgetLimits, RunUsage } from '../shared/run';

export interface ParentBudget {
  limits: BudgetLimits;
  usage: RunUsage;
  steps: number;
  startedAtMs: number;
  nowMs: number;
}

/**
 * A child's limits: the parent's remaining budget, each capped by the declared slice. A spent parent still gives
 * the smallest positive amount, so the child starts, pauses in `budget_exhausted` and waits for a top-up.
 */
export function childLimits(parent: ParentBudget, slice: Partial<BudgetLimits> = {}): BudgetLimits {
  const { limits, usage } = parent;
  const remaining: BudgetLimits = {
    ...limits,
    maxSteps: limits.maxSteps - parent.steps,
    maxInputTokens: limits.maxInputTokens - (usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens),
    maxOutputTokens: limits.maxOutputTokens - usage.outputTokens,
    maxCostUsd: Math.round((limits.maxCostUsd - usage.costUsd) * 1e6) / 1e6,
    maxWallClockMs: limits.maxWallClockMs - (parent.nowMs - parent.startedAtMs),
  };
  const capped = Object.fromEntries(
    (Object.keys(remaining) as Array<keyof BudgetLimits>).map((key) => {
      const bound = Math.min(remaining[key], slice[key] ?? Number.POSITIVE_INFINITY);
      return [key, key === 'maxCostUsd' ? Math.max(bound, 1e-6) : Math.max(Math.floor(bound), 1)];
    }),
  );
  return capped as unknown as BudgetLimits;
}
