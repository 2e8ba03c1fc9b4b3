/** The budget gate before each model call: when the budget is spent, the run waits for a top-up or an abort. */
import { condition } from '@temporalio/workflow';
import { checkBudget } from '../policies/budget';
import { setStatus } from './publish';
import type { Run } from './run-memory';

export type BudgetGate = { kind: 'ok' } | { kind: 'abort'; reason: string };

/** Checks the budget; when exhausted, shows `budget_exhausted` and waits for a top-up, an abort, or the timeout. */
export async function waitForBudget(run: Run): Promise<BudgetGate> {
  const { memory, flags } = run;
  for (;;) {
    const check = checkBudget({ limits: memory.limits, usage: memory.usage, steps: memory.turn, startedAtMs: Date.parse(memory.startedAt), nowMs: Date.now() });
    if (check.kind === 'ok') {
      if (flags.exhausted) {
        flags.exhausted = null;
        setStatus(run, 'running', null);
      }
      return check;
    }
    flags.exhausted = check.reason;
    setStatus(run, 'budget_exhausted', `${check.reason}; waiting for \`sagent extend-budget\` or an abort`);
    run.timeline.note('budget', check.reason, 'waiting');
    const before = memory.limits;
    // A top-up replaces the limits, so a new value is the signal.
    const acted = await condition(() => memory.limits !== before || flags.abortRequested !== null, memory.limits.topUpTimeoutMs, {
      summary: `budget exhausted: waiting for a top-up (${check.limit})`,
    });
    if (flags.abortRequested) {
      return { kind: 'abort', reason: `aborted by ${flags.abortRequested.by} while the budget was exhausted: ${flags.abortRequested.reason}` };
    }
    if (!acted) return { kind: 'abort', reason: `${check.reason}, and no top-up came within ${Math.round(memory.limits.topUpTimeoutMs / 1000)}s` };
  }
}
