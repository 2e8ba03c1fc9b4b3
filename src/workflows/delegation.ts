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
} from '@temporalio/workflow';
import { childLimits } from '../policies/delegation';
import { capText } from '../policies/context';
import { WORKFLOW_TYPE } from '../shared/constants';
import type { DelegationRecord, EffectRecord, ReadyCall } from '../shared/records';
import type { AgentRunInput, AgentSagaWorkflow, BudgetLimits, RunOutcome, RunUsage } from '../shared/run';
import { TOOL_FAILURE_TYPES } from '../shared/activity-io';
import { AgentName, AgentStatus } from '../shared/search-attributes';
import type { ToolDefinition } from '../tools/define';
import { Pending } from './after-settled';
import type { Execution, Executor, ToolScope } from './execution';
import { isPatched, PATCHES } from './patches';
import type { Run } from './run-memory';
import { SagaLedger, describe, type CompensationRun } from './saga';

/** What a delegation needs of the parent run, as it stands when the call starts. */
export interface DelegationContext {
  input: AgentRunInput;
  limits: BudgetLimits;
  usage: RunUsage;
  steps: number;
  startedAtMs: number;
}

/** The parent's view of the run at hand, for a delegation about to start. */
export function delegationContext(input: AgentRunInput, { memory }: Run): DelegationContext {
  return { input, limits: memory.limits, usage: memory.usage, steps: memory.turn, startedAtMs: Date.parse(memory.startedAt) };
}

/** The child's workflow id: the parent's effect id and the agent, so the tree reads in the ids. */
export function childWorkflowId(effectId: string, agent: string): string {
  return `${effectId}/${agent}`;
}

/** What the parent's ledger records of a delegation about to start. */
export function delegationRecordOf(tool: ToolDefinition, effectId: string): DelegationRecord {
  const agent = tool.delegate!.agent;
  return { workflowId: childWorkflowId(effectId, agent), agent, outcome: 'running', effects: [] };
}

/** Runs delegating calls as child workflows; each call's compensation is already registered under its effect id. */
export function childWorkflowExecutor(scope: ToolScope, parent: DelegationContext): Executor {
  return {
    summary(call, effectId, tool) {
      return `${tool.name} → ${childWorkflowId(effectId, tool.delegate!.agent)} · effect ${call.changesWorld ? call.seq : '?'}`;
    },
    execute: (call, effectId, tool) => Pending.from(() => runChild(call, effectId, tool, scope, parent)),
  };
}

async function runChild(call: ReadyCall, effectId: string, tool: ToolDefinition, scope: ToolScope, parent: DelegationContext): Promise<Execution> {
  const agent = tool.delegate!.agent;
  const { task } = call.input as { task: string };
  const workflowId = childWorkflowId(effectId, agent);
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
      staticSummary: isPatched(PATCHES.secretFreeSummaries)
        ? `${agent}, delegated by ${scope.agent.name} (${effectId})`
        : `${agent}, delegated by ${scope.agent.name} (${effectId}): ${brief(task)}`,
    });
  } catch (err) {
    if (isCancellation(err) || CancellationScope.current().consideredCancelled) {
      // The child was cancelled with the parent and ran its own rollback before this wait ended.
      return { kind: 'cancelled', cause: err, detail: 'cancelled with the run', child: { outcome: 'rolled_back' } };
    }
    return {
      kind: 'failed',
      cause: err,
      message: `${agent} (${workflowId}) did not end normally: ${describe(err)}`,
      detail: describe(err),
      code: 'delegate_outcome_unknown',
      child: { outcome: 'unknown' },
    };
  }
  if (outcome.status === 'completed') {
    const text = capText(outcome.finalText ?? '', tool.maxResultBytes);
    return {
      kind: 'ok',
      content: text || `${agent} finished without a summary`,
      detail: `${outcome.effects.length} effects`,
      usage: outcome.usage,
      child: { outcome: 'completed', effects: outcome.effects },
    };
  }
  // The child rolled itself back: nothing of it is left for the parent to undo.
  return {
    kind: 'failed',
    cause: ApplicationFailure.create({ type: TOOL_FAILURE_TYPES.Rejected, message: outcome.reason ?? outcome.status }),
    message: `${agent} could not finish and undid its own work (${outcome.status}): ${outcome.reason ?? 'no reason given'}`,
    detail: `${agent} ${outcome.status}: ${outcome.reason ?? ''}`,
    code: 'delegate_rolled_back',
    usage: outcome.usage,
    child: { outcome: 'rolled_back', effects: outcome.effects },
  };
}

/**
 * Undoes a delegated step: the child's effects newest-first, each by `undoChild`; a failed undo throws, so the
 * parent's ledger retries the step (undone effects stay undone) and shows it blocked if it keeps failing.
 */
export async function undoDelegated(
  effect: EffectRecord & { delegation: DelegationRecord },
  undoChild: CompensationRun,
): Promise<'compensated' | 'not_needed'> {
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
      throw ApplicationFailure.create({
        type: 'Delegation.UndoFailed',
        message: `undo of ${step.effect.tool} (${step.effect.effectId}): ${step.effect.compensationError}`,
      });
    }
  }
  return delegation.effects.some((child) => child.compensation === 'compensated') ? 'compensated' : 'not_needed';
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
    ...pick(input, [
      'model',
      'escalationModel',
      'context',
      'maxTokens',
      'continueAsNewAfterTurns',
      'carry',
      'blockAfterCompensationFailures',
      'identity',
      'policy',
    ]),
  };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]])) as Partial<Pick<T, K>>;
}

function brief(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
