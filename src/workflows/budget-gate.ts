/**
 * The budget gate before each model call and each approved call: when the budget is spent, the run waits for a
 * top-up or an abort. It yields the statuses to show; the loop publishes them.
 */
import { condition } from '@temporalio/workflow';
import { checkBudget, checkBudgetForCall, type BudgetCheck, type BudgetSnapshot } from '../policies/budget';
import { isPatched, PATCHES } from './patches';
import { statusStep, type StatusStep } from './execution';
import type { Run } from './run-memory';

export type BudgetGate = { kind: 'ok' } | { kind: 'abort'; reason: string };

/** The budget as it stands now; the wall clock leaves out the time the run waited for a person. */
export function budgetNow(run: Run): BudgetCheck {
  return checkBudget(budgetSnapshot(run));
}

/** What the run has used of its limits, now. */
export function budgetSnapshot({ memory }: Run): BudgetSnapshot {
  const pausedMs = memory.humanWaitMs > 0 && isPatched(PATCHES.humanWaitOffClock) ? memory.humanWaitMs : 0;
  return { limits: memory.limits, usage: memory.usage, steps: memory.turn, startedAtMs: Date.parse(memory.startedAt), nowMs: Date.now(), pausedMs };
}

/**
 * True when the budget allows the next step and nothing is left to publish: the loop then skips `waitForBudget`,
 * whose generator would only return `ok`. In the workflow sandbox every promise costs a stack capture, and this
 * check runs before every model call.
 */
export function budgetClear(run: Run): boolean {
  return run.flags.exhausted === null && budgetNow(run).kind === 'ok';
}

/** Checks the budget; when exhausted, shows `budget_exhausted` and waits for a top-up, an abort, or the timeout. */
export async function* waitForBudget(
  run: Run,
  waiting: string = '',
  budgetNowFor: (run: Run) => BudgetCheck = budgetNow,
): AsyncGenerator<StatusStep, BudgetGate, void> {
  const { memory, flags } = run;
  for (;;) {
    const check = budgetNowFor(run);
    if (check.kind === 'ok') {
      if (flags.exhausted) {
        flags.exhausted = null;
        yield statusStep('running', null);
      }
      return check;
    }
    flags.exhausted = check.reason;
    yield statusStep('budget_exhausted', `${check.reason}${waiting}; waiting for \`sagent extend-budget\` or an abort`);
    run.timeline.note('budget', check.reason + waiting, 'waiting');
    memory.audit?.push({ at: new Date(Date.now()).toISOString(), kind: 'budget', decision: 'exhausted', rule: check.limit, reason: check.reason + waiting });
    const before = memory.limits;
    const waitStarted = Date.now();
    // A top-up replaces the limits, so a new value is the signal.
    const acted = await condition(() => memory.limits !== before || flags.abortRequested !== null, memory.limits.topUpTimeoutMs, {
      summary: `budget exhausted: waiting for a top-up (${check.limit})`,
    });
    memory.humanWaitMs += Date.now() - waitStarted;
    if (flags.abortRequested) {
      return { kind: 'abort', reason: `aborted by ${flags.abortRequested.by} while the budget was exhausted: ${flags.abortRequested.reason}` };
    }
    if (!acted) {
      memory.audit?.push({
        at: new Date(Date.now()).toISOString(),
        kind: 'budget',
        decision: 'expired',
        rule: check.limit,
        reason: 'no top-up came in time: the run rolls back',
      });
      return { kind: 'abort', reason: `${check.reason}, and no top-up came within ${Math.round(memory.limits.topUpTimeoutMs / 1000)}s` };
    }
    memory.audit?.push({ at: new Date(Date.now()).toISOString(), kind: 'budget', decision: 'topped_up', rule: check.limit, reason: 'the limits were raised' });
  }
}

/**
 * The budget before an approved call runs: an approval that came after the budget ran out waits for a top-up
 * first, so the run never pays for a step it would then have to undo for want of budget. The step limit is not
 * counted again: the call's step was spent when Claude asked, so a call approved in the budget's last step runs.
 */
export async function* budgetForApprovedCall(run: Run, tool: string): AsyncGenerator<StatusStep, BudgetGate, void> {
  if (budgetNow(run).kind === 'ok' || !isPatched(PATCHES.budgetBeforeApprovedCall)) return { kind: 'ok' };
  const forCall = isPatched(PATCHES.approvedCallLastStep) ? budgetForCallNow : budgetNow;
  if (forCall(run).kind === 'ok') return { kind: 'ok' };
  return yield* waitForBudget(run, ` (the approved ${tool} has not run)`, forCall);
}

/** The budget as it stands for a call Claude already asked for: every limit but the steps. */
function budgetForCallNow(run: Run): BudgetCheck {
  return checkBudgetForCall(budgetSnapshot(run));
}
