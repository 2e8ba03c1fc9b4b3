/**
 * The messages a person or a script sends a run, and the queries that read it: the Temporal message
 * definitions and their payloads. Sandbox-safe: JSON types and Temporal message definitions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BudgetLimits, RunState } from './run';
import type { MessageParam } from './wire';

export interface ApprovalDecision {
  callId: string;
  argsHash: string;
  decision: 'approve' | 'reject';
  approver: string;
  reason?: string;
  /** Approve with an edit: the input that should run instead. */
  editedInput?: unknown;
  /** The approver's Ed25519 signature (hex) over the decision; required where the run lists approver keys. */
  signature?: string;
  /** With a signature: the instant (ISO 8601) from which the signed decision is refused. */
  expiresAt?: string;
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

/** A message to a running agent: it joins the conversation before the next model call. */
export interface UserMessage {
  /** What Claude reads, at most 8 KB. */
  text: string;
  /** Who sends it: one of the run's steerers (or approvers when it names none). */
  by: string;
}

/** What `sendMessage` answers: the message is queued for the next model call. */
export interface MessageReceipt {
  /** Messages waiting for the next model call, this one included. */
  queued: number;
}

/** Stop the run after the step in progress, until a message or an abort. */
export interface InterruptRequest {
  by: string;
  reason?: string;
}

/** An operator's word that a paused run should try its model again now (`sagent resume`). */
export interface ResumeRequest {
  by: string;
  reason?: string;
}

/** A pending call's input as it will run, secrets included, and which of its fields views show masked. */
export interface PendingInput {
  callId: string;
  input: unknown;
  maskedFields: string[];
}

export const getStateQuery = defineQuery<RunState>('getState');
/** The real input of a pending call, for an approver's edit that must keep what they were not shown; null when not pending. */
export const approvalInputQuery = defineQuery<PendingInput | null, [string]>('approvalInput');
/** The context of the model call in flight; `callModel` reads it so contexts stay out of history. */
export const modelContextQuery = defineQuery<MessageParam[], [number]>('modelContext');
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');
export const decideUpdate = defineUpdate<DecisionResult, [ApprovalDecision]>('decide');
export const extendBudgetUpdate = defineUpdate<BudgetLimits, [BudgetTopUp]>('extendBudget');
export const abortUpdate = defineUpdate<void, [AbortRequest]>('abort');
export const sendMessageUpdate = defineUpdate<MessageReceipt, [UserMessage]>('sendMessage');
export const interruptUpdate = defineUpdate<void, [InterruptRequest]>('interrupt');
/** Tries the model of a run paused in `model_unavailable` at once; refused in any other state. */
export const resumeModelUpdate = defineUpdate<void, [ResumeRequest]>('resumeModel');
export const retryCompensationSignal = defineSignal<[OperatorAction]>('retryCompensation');
export const skipCompensationSignal = defineSignal<[OperatorAction]>('skipCompensation');
