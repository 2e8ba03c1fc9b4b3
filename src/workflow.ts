/**
 * sagent's workflow-safe entry (`sagent/workflow`): what a workflows file and an agent's definition file may import.
 * Everything here runs inside Temporal's workflow sandbox: no Node built-ins, no I/O, no clocks but the workflow's.
 *
 * ```ts
 * // workflows.ts, bundled by your worker
 * import { createAgentSaga } from 'sagent/workflow';
 * import { myAgent } from './my-agent';
 * export const agentSaga = createAgentSaga([myAgent]);
 * ```
 *
 * @packageDocumentation
 */

// The workflow and the agents it runs.
export { createAgentSaga, type AgentSagaWorkflow } from './workflows/agent-saga';
export { sagentBreakerBoard } from './workflows/breaker-board';
export {
  agentRegistry,
  defineAgent,
  defineTool,
  type AgentDefinition,
  type AgentRegistry,
  type AgentSpec,
  type AgentVersioning,
  type DelegateSpec,
  type ToolBreakerSpec,
  type ToolDelegation,
  type ToolControl,
  type ToolDefinition,
  type ToolReconcile,
  type ToolRisk,
  type ToolSpec,
} from './tools/define';
export {
  MATCHER_OPS,
  type AgentPolicy,
  type ArgumentMatcher,
  type AuditEntry,
  type MatcherOp,
  type PolicyRule,
  type PolicyVerdictKind,
  type RunIdentity,
  type RunPolicyInput,
  type RunPolicyRule,
  type TaintSource,
} from './shared/policy';

// A run: its input, its state, its outcome.
export {
  RUN_STATUSES,
  type AgentRunInput,
  type ApprovalExpiryAction,
  type ApprovalInput,
  type ApprovalSettings,
  type ApproverInput,
  type BudgetLimits,
  type ContextSettings,
  type RunOutcome,
  type RunState,
  type RunStatus,
  type RunUsage,
} from './shared/run';
export type {
  ApprovalRecord,
  CompensationOutcome,
  DecidedApproval,
  EffectRecord,
  EffectState,
  PendingApproval,
  RejectedAttempt,
  TimelineEntry,
} from './shared/records';
export type { DelegationOutcome, DelegationView } from './shared/delegation';

// The messages a run answers (its queries, signals and updates), with what they carry.
export {
  abortUpdate,
  approvalSignal,
  decideUpdate,
  extendBudgetUpdate,
  getStateQuery,
  retryCompensationSignal,
  skipCompensationSignal,
  type AbortRequest,
  type ApprovalDecision,
  type BudgetTopUp,
  type DecisionResult,
  type OperatorAction,
} from './shared/messages';

// The Messages API's wire types, as sagent carries them.
export {
  STOP_REASONS,
  type ContentBlock,
  type ContentBlockParam,
  type MessageParam,
  type ModelTurn,
  type ModelUsage,
  type StopReason,
  type TextBlock,
  type ToolResultBlockParam,
  type ToolUseBlock,
} from './shared/wire';

// Names a run is found by.
export { DEFAULT_TASK_QUEUE, WORKFLOW_TYPE, SEARCH_ATTRIBUTES } from './shared/constants';
export { AgentName, AgentStatus, AgentCostUsd, AgentSteps, AgentPendingApprovals, AgentPrincipal, AgentTenant } from './shared/search-attributes';
