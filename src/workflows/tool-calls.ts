/**
 * Running tool calls as activities: reads in parallel, each state-changing call alone and registered in the
 * saga ledger before it is scheduled (its effect id is the Idempotency-Key), and compensations when the saga
 * rolls back. Each call comes back as a new, done call; a critical tool's failure comes back as an abort.
 */
import { CancellationScope, CancelledFailure, isCancellation } from '@temporalio/workflow';
import type { DoneCall, EffectRecord, PlannedEffect, ReadyCall, TurnInFlight } from '../shared/records';
import type { AgentDefinition, AgentRegistry } from '../tools/define';
import { activities, compensateOptions, toolOptions } from './activity-options';
import { closeCall, errorResult } from './calls';
import { runDelegation, undoDelegated, type DelegationContext, type DelegationOutcome } from './delegation';
import { describe, type SagaLedger } from './saga';
import type { Timeline } from './timeline';

const { runTool, compensate } = activities;

/** What running calls needs of the run. */
export interface ToolScope {
  workflowId: string;
  agent: AgentDefinition;
  ledger: SagaLedger;
  timeline: Timeline;
  /** Every agent of the workflow: a delegated step is undone with its sub-agent's compensations. */
  agents?: AgentRegistry;
}

export type CallOutcome = { kind: 'done'; call: DoneCall } | { kind: 'abort'; reason: string };

export type ReadsOutcome = { kind: 'done'; turn: TurnInFlight } | { kind: 'abort'; reason: string };

/** Runs the turn's ready reads in parallel; the turn comes back with them done, in their places. */
export async function runReads(turn: TurnInFlight, scope: ToolScope): Promise<ReadsOutcome> {
  try {
    const calls = await Promise.all(
      turn.calls.map(async (call, index) => {
        if (call.status !== 'ready' || call.changesWorld) return call;
        const ran = await runCall(call, `${scope.workflowId}/turn-${turn.turn}/read-${index}`, scope);
        // The first critical failure ends the saga at once, as the other reads go on.
        if (ran.kind === 'abort') throw new CriticalReadFailed(ran.reason);
        return ran.call;
      }),
    );
    return { kind: 'done', turn: { ...turn, calls, readsDone: true } };
  } catch (err) {
    if (err instanceof CriticalReadFailed) return { kind: 'abort', reason: err.reason };
    throw err;
  }
}

/**
 * Runs one state-changing call, its compensation registered first so an unknown outcome is still undone; a
 * delegating tool runs its sub-agent as a child workflow, whose usage comes back with the outcome.
 */
export async function runWrite(call: ReadyCall & PlannedEffect, scope: ToolScope, parent?: DelegationContext): Promise<DelegationOutcome> {
  const tool = scope.agent.toolsByName[call.tool];
  scope.ledger.register({ effectId: call.effectId, seq: call.seq, tool: tool.name, input: call.input, undo: tool.compensation ?? null });
  if (tool.delegate && parent) return runDelegation(call, scope, parent);
  return runCall(call, call.effectId, scope);
}

/** Runs one compensation; it throws when the undo failed, and the ledger retries it. */
export async function undoEffect(effect: EffectRecord, scope: ToolScope): Promise<'compensated' | 'not_needed'> {
  const { delegation } = effect;
  if (delegation) {
    const agent = scope.agents?.[delegation.agent] ?? scope.agent;
    return undoDelegated({ ...effect, delegation }, (child) => undoEffect(child, { ...scope, agent }));
  }
  const tool = scope.agent.toolsByName[effect.tool];
  const summary = `undo ${tool.label ?? effect.tool} (${effect.undo}) · effect ${effect.seq}`;
  const startedAt = Date.now();
  const entry = scope.timeline.note('compensation', summary, 'started', undefined, effect.effectId);
  try {
    const result = await compensate.executeWithOptions(compensateOptions(tool, summary), [
      {
        agent: scope.agent.name,
        tool: effect.tool,
        input: effect.input,
        effectId: effect.effectId,
        ...(tool.mcp ? { mcp: tool.mcp } : {}),
        ...(effect.undoInput !== undefined ? { undoInput: effect.undoInput } : {}),
      },
    ]);
    scope.timeline.finish(entry, 'ok', startedAt, result);
    return result;
  } catch (err) {
    scope.timeline.finish(entry, 'error', startedAt, describe(err));
    throw err;
  }
}

/** Runs one call; only a state-changing one is recorded in the ledger (a read's key just dedupes retries). */
async function runCall(call: ReadyCall, effectId: string, scope: ToolScope): Promise<CallOutcome> {
  const tool = scope.agent.toolsByName[call.tool];
  const recorded = call.changesWorld;
  const label = tool.label ?? tool.name;
  const summary = call.changesWorld ? `${label} · effect ${call.seq}` : `${label} · read`;
  const startedAt = Date.now();
  const entry = scope.timeline.note('tool', summary, 'started', undefined, recorded ? effectId : undefined);
  try {
    const output = await runTool.executeWithOptions(toolOptions(tool, summary), [
      { agent: scope.agent.name, tool: tool.name, input: call.input, effectId, ...(tool.mcp ? { mcp: tool.mcp } : {}) },
    ]);
    if (recorded) {
      const effect = scope.ledger.settle(effectId, { ok: true });
      if (output.undoInput !== undefined) effect.undoInput = output.undoInput;
    }
    if (output.note) scope.timeline.note('tool', output.note, 'info', undefined, recorded ? effectId : undefined);
    scope.timeline.finish(entry, 'ok', startedAt, output.truncated ? `${output.bytes} bytes, cut` : `${output.bytes} bytes`);
    // Claude must know when a person changed what it asked for.
    const edited = call.changesWorld && call.editedBy ? `[${call.editedBy} edited the input before it ran; it ran with ${JSON.stringify(call.input)}]\n` : '';
    return { kind: 'done', call: closeCall(call, { type: 'tool_result', tool_use_id: call.toolUseId, content: edited + output.content }) };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A tool that failed because the run was cancelled under it: that is the cancellation, not a tool error.
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('the run was cancelled during a tool call');
    const effect = recorded ? scope.ledger.settle(effectId, { ok: false, error: err }) : undefined;
    scope.timeline.finish(entry, 'error', startedAt, describe(err));
    if (tool.critical) return { kind: 'abort', reason: `${tool.name} failed and is critical: ${describe(err)}` };
    return {
      kind: 'done',
      call: closeCall(call, errorResult(call.toolUseId, {
        error: effect?.state === 'unknown' ? 'tool_outcome_unknown' : 'tool_failed',
        message: describe(err),
        hint: effect?.state === 'unknown'
          ? 'the outcome is unknown; it will be undone if the run rolls back; do not repeat the call blindly'
          : 'read the message; fix the arguments or go another way',
      })),
    };
  }
}

/** Carries a critical read's failure out of `Promise.all` the moment it happens. */
class CriticalReadFailed {
  constructor(readonly reason: string) {}
}
