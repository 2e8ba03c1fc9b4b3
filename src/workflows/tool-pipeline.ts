/**
 * The one pipeline every tool call runs through, read top to bottom (after the loop's wait for a person, if any):
 *   budget → ledger.register → executor.execute → ledger.settle → the result Claude sees.
 * The executor is chosen by the tool's declaration: an activity for native and MCP tools, a child workflow for a
 * delegating tool; each hands back a tagged `Execution`. The ledger is the only writer of effect records. Waits
 * yield the statuses to show, and the loop publishes them: the pipeline never calls back into the loop.
 */
import type { DoneCall, EffectRecord, PlannedEffect, ReadyCall, TurnInFlight } from '../shared/records';
import type { AgentRunInput, RunUsage } from '../shared/run';
import { toolError } from '../shared/tool-errors';
import { isUntrustedOutput, wrapUntrusted } from '../policies/tool-policy';
import { activityExecutor, undoByActivity } from './activity-executor';
import { budgetForApprovedCall } from './budget-gate';
import { closeCall, errorResult } from './calls';
import { childWorkflowExecutor, delegationContext, delegationRecordOf, undoDelegated } from './delegation';
import { settleBeforePivot } from './reconcile';
import type { Execution, Executor, StatusStep, ToolScope } from './execution';
import { Pending, rethrow } from './after-settled';
import type { Run } from './run-memory';

export type { ToolScope } from './execution';

/** How one call ended: done (Claude reads its result), or the saga ends; a sub-agent's usage rides along. */
export type CallOutcome = ({ kind: 'done'; call: DoneCall } | { kind: 'abort'; reason: string }) & { usage?: RunUsage };

/** What the pipeline asks the loop to do as it goes: show a status. */
export type PipelineStep = StatusStep;

export type ReadsOutcome = { kind: 'done'; turn: TurnInFlight } | { kind: 'abort'; reason: string };

/** Runs the turn's ready reads in parallel; the turn comes back with them done, in their places. Continued by the caller. */
export function runReads(turn: TurnInFlight, scope: ToolScope): Pending<ReadsOutcome> {
  const executor = activityExecutor(scope);
  const reads = turn.calls.flatMap((call, index) => (call.status === 'ready' && !call.changesWorld ? [index] : []));
  const readAt = (index: number) =>
    execute(turn.calls[index] as ReadyCall, readKeyOf(scope.workflowId, turn.turn, index), scope, executor).map((ran) => {
      // The first critical failure ends the saga at once, as the other reads go on.
      if (ran.kind === 'abort') throw new CriticalReadFailed(ran.reason);
      return ran.call;
    }, rethrow);
  const done = (ran: readonly DoneCall[]): ReadsOutcome => {
    const calls = [...turn.calls];
    reads.forEach((index, at) => (calls[index] = ran[at]));
    return { kind: 'done', turn: { ...turn, calls, readsDone: true } };
  };
  const failed = (err: unknown): ReadsOutcome => {
    if (err instanceof CriticalReadFailed) return { kind: 'abort', reason: err.reason };
    throw err;
  };
  // One read, the common turn, is one continuation: no `Promise.all` around it.
  if (reads.length === 1) return readAt(reads[0]).map((call) => done([call]), failed);
  return Pending.of(() => Promise.all(reads.map((index) => readAt(index).settled())), done, failed);
}

/**
 * Runs one state-changing call, cleared to run (by the rules, or by a person's approval the loop waited for), through
 * every stage: the budget if it was approved, then its compensation registered before it is scheduled (so an unknown
 * outcome is still undone), its executor, and the ledger settled with what came back.
 */
export async function* runWrite(
  cleared: ReadyCall & PlannedEffect,
  run: Run,
  scope: ToolScope,
  input: AgentRunInput,
): AsyncGenerator<PipelineStep, CallOutcome, void> {
  if (cleared.argsHash !== undefined) {
    const budget = yield* budgetForApprovedCall(run, cleared.tool);
    if (budget.kind === 'abort') return budget;
  }
  const tool = scope.agent.toolsByName[cleared.tool];
  // A read a person let through is no effect: it runs, keyed by its effect id, and stays out of the ledger.
  if (cleared.readOnly) return execute(cleared, cleared.effectId, scope, activityExecutor(scope)).settled();
  // No pivot on top of an unknown outcome: earlier unknown effects are settled first.
  const settled = yield* settleBeforePivot(scope, tool, run.settings.reconcile);
  if (settled.kind === 'abort') return settled;
  const executor = tool.delegate ? childWorkflowExecutor(scope, delegationContext(input, run)) : activityExecutor(scope);
  const { identity } = scope;
  const who = identity ? { principal: identity.principal, ...(identity.tenant ? { tenant: identity.tenant } : {}) } : {};
  const step = { effectId: cleared.effectId, seq: cleared.seq, tool: tool.name, input: cleared.input, undo: tool.compensation ?? null, ...who };
  scope.ledger.register(step, tool.delegate ? delegationRecordOf(tool, cleared.effectId) : undefined);
  return execute(cleared, cleared.effectId, scope, executor).settled();
}

/** The idempotency key of a read: the turn and its place in the turn (the taint names it too). */
export function readKeyOf(workflowId: string, turn: number, index: number): string {
  return `${workflowId}/turn-${turn}/read-${index}`;
}

/** Undoes one effect with its executor's undo: a compensation activity, or a sub-agent's own compensations. */
export async function undoEffect(effect: EffectRecord, scope: ToolScope): Promise<'compensated' | 'not_needed'> {
  const { delegation } = effect;
  if (delegation) {
    const agent = scope.agents?.[delegation.agent] ?? scope.agent;
    return undoDelegated({ ...effect, delegation }, (child) => undoEffect(child, { ...scope, agent }));
  }
  return undoByActivity(effect, scope.agent.toolsByName[effect.tool], scope);
}

/** Executes one call and settles it: only a state-changing one is recorded (a read's key just dedupes retries). */
function execute(call: ReadyCall, effectId: string, scope: ToolScope, executor: Executor): Pending<CallOutcome> {
  const { ledger, timeline } = scope;
  const tool = scope.agent.toolsByName[call.tool];
  const recorded = call.changesWorld && !call.readOnly;
  const startedAt = Date.now();
  const entry = timeline.note('tool', executor.summary(call, effectId, tool), 'started', undefined, recorded ? effectId : undefined);
  return executor.execute(call, effectId, tool).map(settle, rethrow);
  function settle(ran: Execution): CallOutcome {
    const usage = ran.kind !== 'cancelled' && ran.usage ? { usage: ran.usage } : {};
    if (ran.kind === 'cancelled') {
      if (recorded && ran.child) ledger.childEnded(effectId, ran.child);
      timeline.finish(entry, 'error', startedAt, ran.detail);
      throw ran.cause;
    }
    if (ran.kind === 'ok') {
      if (recorded) ledger.settle(effectId, { ok: true, ...(ran.undoInput !== undefined ? { undoInput: ran.undoInput } : {}) }, ran.child);
      if (ran.note) timeline.note('tool', ran.note, 'info', undefined, recorded ? effectId : undefined);
      timeline.finish(entry, 'ok', startedAt, ran.detail);
      // Claude must know when a person changed what it asked for.
      const edited = call.changesWorld && call.editedBy ? `[${call.editedBy} edited the input before it ran; it ran with ${JSON.stringify(call.input)}]\n` : '';
      // Content from outside is data: fenced, so nothing in it reads as an instruction from the run.
      const content =
        scope.fenceUntrusted && isUntrustedOutput(tool, scope.agent.policy) ? wrapUntrusted(ran.content, { tool: tool.name, effectId }) : ran.content;
      return { kind: 'done', call: closeCall(call, { type: 'tool_result', tool_use_id: call.toolUseId, content: edited + content }), ...usage };
    }
    const effect = recorded ? ledger.settle(effectId, { ok: false, error: ran.cause }, ran.child) : undefined;
    timeline.finish(entry, 'error', startedAt, ran.detail);
    if (tool.critical) return { kind: 'abort', reason: `${tool.name} failed and is critical: ${ran.message}`, ...usage };
    const code = ran.code ?? (effect?.state === 'unknown' ? 'tool_outcome_unknown' : 'tool_failed');
    return { kind: 'done', call: closeCall(call, errorResult(call.toolUseId, toolError(code, ran.message, ran.extra))), ...usage };
  }
}

/** Carries a critical read's failure out of `Promise.all` the moment it happens. */
class CriticalReadFailed {
  constructor(readonly reason: string) {}
}
