/**
 * The run's public contract: its input, its state as queries report it, and the messages a person or
 * a script sends it. Sandbox-safe: JSON types and Temporal message definitions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Conversation } from '../policies/context';
import type { ContentBlock, MessageParam, ToolResultBlockParam } from './wire';

export const RUN_STATUSES = [
  'running',
  'awaiting_approval',
  'budget_exhausted',
  'compensating',
  'completed',
  'compensated',
  'blocked',
  'cancelled',
  'failed',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Limits a run may not pass; each one is checked before every model call. */
export interface BudgetLimits {
  /** Model turns. @default 40 */
  maxSteps: number;
  /** Input tokens over the whole run (cache reads and writes included). @default 2_000_000 */
  maxInputTokens: number;
  /** @default 200_000 */
  maxOutputTokens: number;
  /** @default 5 */
  maxCostUsd: number;
  /** Wall clock from the run's start, as a durable timer. @default 1 hour */
  maxWallClockMs: number;
  /** Calls of any one tool. @default 20 */
  maxCallsPerTool: number;
  /** The same tool with the same arguments; the next identical call is refused. @default 3 */
  maxIdenticalCalls: number;
  /** How long an exhausted run waits for a top-up before it rolls back. @default 24 hours */
  topUpTimeoutMs: number;
}

/** What happens when an approval request expires unanswered. */
export type ApprovalExpiryAction = 'reject' | 'escalate' | 'abort';

export interface ApprovalSettings {
  /** Who may approve. Empty means anyone who names themselves (fine for a demo, not for production). */
  approvers: string[];
  /** Tools that need approval beyond those whose declared risk already asks for it. */
  requireFor: string[];
  /** @default 24 hours */
  timeoutMs: number;
  /** @default 'reject' */
  onExpiry: ApprovalExpiryAction;
  /** A rejected call ends the saga instead of going back to Claude. @default false */
  rejectionIsFatal: boolean;
  /** With `onExpiry: 'escalate'`: how much longer to wait after notifying. @default timeoutMs */
  escalationTimeoutMs?: number;
}

export interface ContextSettings {
  /** Turns (assistant + tool results) kept verbatim at the end of the context. @default 4 */
  keepTurns: number;
  /** Bytes of one tool result that Claude sees before it is cut. @default 8192 */
  maxToolResultBytes: number;
  /** Bytes of a compacted older tool result. @default 160 */
  stubBytes: number;
}

/** What `sagent start` sends. Everything but `agent` and `task` has a default. */
export interface AgentRunInput {
  agent: string;
  task: string;
  approval?: Partial<ApprovalSettings>;
  budget?: Partial<BudgetLimits>;
  /** Narrows the agent's tools to these names (the `abort` tool is always kept). */
  allowedTools?: string[];
  model?: string;
  escalationModel?: string;
  context?: Partial<ContextSettings>;
  /** Output tokens one model call may produce. @default 4096 */
  maxTokens?: number;
  /** Continue as new after this many model turns in one run, or when the server suggests it. @default 100 */
  continueAsNewAfterTurns?: number;
  /** Compensation attempts that fail before the run shows `blocked`. @default 3 */
  blockAfterCompensationFailures?: number;
  /** State carried over a continue-as-new; never set by users. */
  carried?: CarriedState;
}

export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

export type EffectState = 'pending' | 'committed' | 'failed' | 'unknown';
export type CompensationOutcome =
  | 'none'
  | 'registered'
  | 'running'
  | 'compensated'
  | 'not_needed'
  | 'not_compensable'
  | 'failed'
  | 'skipped';

/** One step that may change the world, and what became of its undo. */
export interface EffectRecord {
  effectId: string;
  seq: number;
  tool: string;
  input: unknown;
  state: EffectState;
  /** The name of the compensation, or null for an irreversible step. */
  undo: string | null;
  compensation: CompensationOutcome;
  compensationAttempts: number;
  compensationError?: string;
  skippedBy?: { by: string; reason: string };
}

export interface PendingApproval {
  callId: string;
  tool: string;
  input: unknown;
  effectId: string;
  argsHash: string;
  requestedAt: string;
  expiresAt: string;
  approvers: string[];
  escalated: boolean;
}

export interface ApprovalRecord {
  callId: string;
  tool: string;
  argsHash: string;
  decision: 'approve' | 'reject' | 'expired' | 'withdrawn';
  approver: string | null;
  reason: string | null;
  at: string;
  /** With an edited approval: the hash of the input that actually ran. */
  editedArgsHash?: string;
}

/** A valid decision, with the input that will run (the original, or the approver's validated edit). */
export interface DecidedApproval {
  decision: 'approve' | 'reject';
  approver: string;
  reason: string | null;
  input: unknown;
  argsHash: string;
}

export interface RejectedAttempt {
  callId: string;
  approver: string;
  at: string;
  why: string;
  via: 'signal' | 'update';
}

export interface TimelineEntry {
  kind: 'model' | 'tool' | 'approval' | 'compensation' | 'budget' | 'run';
  title: string;
  at: string;
  state: 'started' | 'ok' | 'error' | 'waiting' | 'info';
  durationMs?: number;
  effectId?: string;
  detail?: string;
}

/** One tool call of the turn in flight, as planned and as it went. */
export interface PlannedCall {
  toolUseId: string;
  tool: string;
  input: unknown;
  changesWorld: boolean;
  status: 'refused' | 'ready' | 'awaiting_approval' | 'done';
  callId?: string;
  seq?: number;
  effectId?: string;
  argsHash?: string;
  /** The approver who edited the input before it ran. */
  editedBy?: string;
  result?: ToolResultBlockParam;
}

/** A turn whose tool calls are not all done; carried over continue-as-new while approvals wait. */
export interface TurnInFlight {
  turn: number;
  assistant: ContentBlock[];
  calls: PlannedCall[];
  readsDone: boolean;
  approvalsNotified: boolean;
}

/** State carried over continue-as-new so the next run picks up exactly where this one stopped. */
export interface CarriedState {
  startedAt: string;
  turn: number;
  nextSeq: number;
  usage: RunUsage;
  limits: BudgetLimits;
  callsPerTool: Record<string, number>;
  callCounts: Record<string, number>;
  consecutiveToolErrors: number;
  effects: EffectRecord[];
  approvals: ApprovalRecord[];
  rejectedAttempts: RejectedAttempt[];
  conversation: Conversation;
  timeline: TimelineEntry[];
  runsSoFar: number;
  inFlight: TurnInFlight | null;
  pendingApprovals: PendingApproval[];
  /** Decisions taken but not yet acted on (the loop was waiting for an earlier call). */
  decidedApprovals: Record<string, DecidedApproval>;
  finalText: string | null;
}

export interface RunState {
  workflowId: string;
  agent: string;
  task: string;
  status: RunStatus;
  statusDetail: string | null;
  steps: number;
  model: string;
  usage: RunUsage;
  budget: { limits: BudgetLimits; exhausted: string | null };
  pendingApprovals: PendingApproval[];
  approvals: ApprovalRecord[];
  rejectedAttempts: RejectedAttempt[];
  effects: EffectRecord[];
  timeline: TimelineEntry[];
  continuedAsNew: number;
  finalText: string | null;
}

/** What the workflow returns. A compensated run completes: rollback is a business outcome, not a bug. */
export interface RunOutcome {
  workflowId: string;
  status: 'completed' | 'compensated' | 'cancelled';
  reason: string | null;
  finalText: string | null;
  steps: number;
  usage: RunUsage;
  effects: EffectRecord[];
  approvals: ApprovalRecord[];
}

export interface ApprovalDecision {
  callId: string;
  argsHash: string;
  decision: 'approve' | 'reject';
  approver: string;
  reason?: string;
  /** Approve with an edit: the input that should run instead. */
  editedInput?: unknown;
}

export interface DecisionResult {
  callId: string;
  decision: 'approve' | 'reject';
  /** The hash of what will run: the original's, or the edited input's. */
  argsHash: string;
}

export interface BudgetTopUp {
  by: string;
  usd?: number;
  steps?: number;
  inputTokens?: number;
  outputTokens?: number;
  wallClockMs?: number;
  callsPerTool?: number;
}

export interface OperatorAction {
  effectId: string;
  by: string;
  reason: string;
}

export interface AbortRequest {
  by: string;
  reason: string;
}

export const getStateQuery = defineQuery<RunState>('getState');
/** The context of the model call in flight; `callModel` reads it so contexts stay out of history. */
export const modelContextQuery = defineQuery<MessageParam[], [number]>('modelContext');
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');
export const decideUpdate = defineUpdate<DecisionResult, [ApprovalDecision]>('decide');
export const extendBudgetUpdate = defineUpdate<BudgetLimits, [BudgetTopUp]>('extendBudget');
export const abortUpdate = defineUpdate<void, [AbortRequest]>('abort');
export const retryCompensationSignal = defineSignal<[OperatorAction]>('retryCompensation');
export const skipCompensationSignal = defineSignal<[OperatorAction]>('skipCompensation');
