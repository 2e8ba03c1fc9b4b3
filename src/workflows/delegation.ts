/**
 * Delegation to sub-agents: a `delegate_<agent>` call runs the agent as a child workflow of the same type, with
 * an id derived from the call's effect id (so a retry, a replay or a worker crash never starts a second child),
 * and becomes one step of the parent's saga. When the parent rolls back, it undoes the child's effects, in the
 * child's own reverse order, at the child's place in its own order; a child that rolled itself back leaves
 * nothing to undo.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  executeChild,
  isCancellation,
  patched,
  setHandler,
} from '@temporalio/workflow';
import { childLimits } from '../policies/delegation';
import { capText } from '../policies/context';
import { WORKFLOW_TYPE } from '../shared/constants';
import { delegateProgressSignal, type DelegationRecord } from '../shared/delegation';
import type { EffectRecord, PlannedEffect, ReadyCall } from '../shared/records';
import type { AgentRunInput, BudgetLimits, RunOutcome, RunUsage } from '../shared/run';
import { TOOL_FAILURE_TYPES } from '../shared/activity-io';
import { AgentName, AgentStatus } from '../shared/search-attributes';
import type { ToolDefinition } from '../tools/define';
import type { AgentSagaWorkflow } from './agent-saga';
import { closeCall, errorResult } from './calls';
import { runningDelegations } from './delegate-report';
import { MESSAGE_DESCRIPTIONS } from './message-descriptions';
import { PATCHES } from './patches';
import { describePending, setStatus } from './publish';
import type { Run } from './run-memory';
import { SagaLedger, describe, type CompensationRun } from './saga';
import type { CallOutcome, ToolScope } from './tool-calls';

/** What a delegation needs of the parent run, as it stands when the call starts. */
export interface DelegationContext {
  input: AgentRunInput;
  limits: BudgetLimits;
  usage: RunUsage;
  steps: number;
  startedAtMs: number;
}

/** A delegation's outcome: the call's, and the child's usage, which counts against the parent's budget. */
export type DelegationOutcome = CallOutcome & { usage?: RunUsage };

/** The parent's view of the run at hand, for a delegation about to start. */
export function delegationContext(input: AgentRunInput, { memory }: Run): DelegationContext {
  return { input, limits: memory.limits, usage: memory.usage, steps: memory.turn, startedAtMs: Date.parse(memory.startedAt) };
}

/** The child's workflow id: the parent's effect id and the agent, so the tree reads in the ids. */
export function childWorkflowId(effectId: string, agent: string): string {
  return `${effectId}/${agent}`;
}

/** Runs a delegating call as a child workflow; its compensation is already registered under the call's effect id. */
export async function runDelegation(call: ReadyCall & PlannedEffect, scope: ToolScope, parent: DelegationContext): Promise<DelegationOutcome> {
  const tool = scope.agent.toolsByName[call.tool];
  const agent = tool.delegate!.agent;
  const { task } = call.input as { task: string };
  const workflowId = childWorkflowId(call.effectId, agent);
  const record: DelegationRecord = { workflowId, agent, outcome: 'running', effects: [] };
  scope.ledger.find(call.effectId)!.delegation = record;
  const summary = `${tool.name} → ${workflowId} · effect ${call.seq}`;
  const startedAt = Date.now();
  const entry = scope.timeline.note('tool', summary, 'started', undefined, call.effectId);
  let outcome: RunOutcome;
  try {
    outcome = await executeChild<AgentSagaWorkflow>(WORKFLOW_TYPE, {
      workflowId,
      args: [childInput(parent, agent, task, tool)],
      // A second start of the same id fails cleanly instead of running the sub-agent twice.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // A cancelled parent waits for its children's own rollback; a terminated one still asks them to roll back.
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: AgentName, value: agent },
        { key: AgentStatus, value: 'running' },
      ],
      // The task is the model's text and may carry what a tool marks secret (a card number): newer runs leave it out.
      staticSummary: patched(PATCHES.secretFreeSummaries)
        ? `${agent}, delegated by ${scope.agent.name} (${call.effectId})`
        : `${agent}, delegated by ${scope.agent.name} (${call.effectId}): ${brief(task)}`,
    });
  } catch (err) {
    if (isCancellation(err) || CancellationScope.current().consideredCancelled) {
      // The child was cancelled with the parent and ran its own rollback before this wait ended.
      record.outcome = 'rolled_back';
      scope.timeline.finish(entry, 'error', startedAt, 'cancelled with the run');
      throw err;
    }
    record.outcome = 'unknown';
    scope.ledger.settle(call.effectId, { ok: false, error: err });
    scope.timeline.finish(entry, 'error', startedAt, describe(err));
    return failed(call, tool, `${agent} (${workflowId}) did not end normally: ${describe(err)}`, 'delegate_outcome_unknown',
      'its outcome is unknown; it will be reviewed if the run rolls back; do not delegate the same task again blindly');
  }
  record.effects = outcome.effects;
  if (outcome.status === 'completed') {
    record.outcome = 'completed';
    scope.ledger.settle(call.effectId, { ok: true });
    scope.timeline.finish(entry, 'ok', startedAt, `${outcome.effects.length} effects`);
    const text = capText(outcome.finalText ?? '', tool.maxResultBytes);
    return { kind: 'done', call: closeCall(call, { type: 'tool_result', tool_use_id: call.toolUseId, content: text || `${agent} finished without a summary` }), usage: outcome.usage };
  }
  // The child rolled itself back: nothing of it is left for the parent to undo.
  record.outcome = 'rolled_back';
  scope.ledger.settle(call.effectId, { ok: false, error: ApplicationFailure.create({ type: TOOL_FAILURE_TYPES.Rejected, message: outcome.reason ?? outcome.status }) });
  scope.timeline.finish(entry, 'error', startedAt, `${agent} ${outcome.status}: ${outcome.reason ?? ''}`);
  return {
    ...failed(call, tool, `${agent} could not finish and undid its own work (${outcome.status}): ${outcome.reason ?? 'no reason given'}`, 'delegate_rolled_back',
      'nothing it did remains; go another way or explain to the user'),
    usage: outcome.usage,
  };
}

/**
 * Undoes a delegated step: the child's effects newest-first, each by `undoChild`; a failed undo throws, so the
 * parent's ledger retries the step (undone effects stay undone) and shows it blocked if it keeps failing.
 */
export async function undoDelegated(effect: EffectRecord & { delegation: DelegationRecord }, undoChild: CompensationRun): Promise<'compensated' | 'not_needed'> {
  const { delegation } = effect;
  if (delegation.outcome === 'rolled_back') return 'not_needed';
  if (delegation.outcome !== 'completed') {
    throw ApplicationFailure.create({
      type: 'Delegation.OutcomeUnknown',
      message: `delegated run ${delegation.workflowId} ended without a known outcome; check its ledger, then retry or skip this step`,
      nonRetryable: true,
    });
  }
  // The child's ledger over its effects, one attempt per effect: the parent's ledger does the retrying.
  const once = { blockAfter: 1, initialBackoffMs: 0, maxBackoffMs: 0 };
  for await (const step of new SagaLedger(delegation.effects).rollback(undoChild, once)) {
    if (step.kind === 'blocked') {
      throw ApplicationFailure.create({ type: 'Delegation.UndoFailed', message: `undo of ${step.effect.tool} (${step.effect.effectId}): ${step.effect.compensationError}` });
    }
  }
  return delegation.effects.some((child) => child.compensation === 'compensated') ? 'compensated' : 'not_needed';
}

/** Receives the children's progress, and shows the parent waiting on a child that waits on a person. */
export function installDelegationHandler(run: Run): void {
  setHandler(delegateProgressSignal, (progress) => {
    if (!runningDelegations(run).some((view) => view.workflowId === progress?.workflowId)) return;
    // Signals from one child can overtake each other: an older report never replaces a newer one.
    const known = run.flags.delegates[progress.workflowId]?.seq;
    if (known !== undefined && progress.seq !== undefined && progress.seq < known) return;
    run.flags.delegates[progress.workflowId] = progress;
    showDelegates(run);
  }, { description: MESSAGE_DESCRIPTIONS.delegateProgress });
}

function showDelegates(run: Run): void {
  const { flags, desk } = run;
  if ((flags.status !== 'running' && flags.status !== 'awaiting_approval') || desk.pending.length > 0) return;
  const waiting = runningDelegations(run).find((view) => view.pendingApprovals.length > 0);
  if (waiting) {
    setStatus(run, 'awaiting_approval', `waiting on ${waiting.agent} (${waiting.workflowId}), which awaits approval: ${describePending(waiting.pendingApprovals)}`);
    return;
  }
  const running = runningDelegations(run)[0];
  setStatus(run, 'running', running ? `waiting on ${running.agent} (${running.workflowId}): ${running.status}` : null);
}

/** The child's input: the parent's settings that carry over, and its slice of the parent's remaining budget. */
function childInput(parent: DelegationContext, agent: string, task: string, tool: ToolDefinition): AgentRunInput {
  const { input } = parent;
  // `requireFor` names the parent's tools; the child's own declarations decide what it asks for.
  const { requireFor: _parentTools, ...approval } = input.approval ?? {};
  const budget = childLimits({ ...parent, nowMs: Date.now() }, tool.delegate?.budget);
  return {
    agent,
    task,
    approval,
    budget,
    ...pick(input, ['model', 'escalationModel', 'context', 'maxTokens', 'continueAsNewAfterTurns', 'carry', 'blockAfterCompensationFailures']),
  };
}

function failed(call: ReadyCall & PlannedEffect, tool: ToolDefinition, message: string, error: string, hint: string): CallOutcome {
  if (tool.critical) return { kind: 'abort', reason: `${tool.name} failed and is critical: ${message}` };
  return { kind: 'done', call: closeCall(call, errorResult(call.toolUseId, { error, message, hint })) };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]])) as Partial<Pick<T, K>>;
}

function brief(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
