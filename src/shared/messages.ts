/**
 * The messages a person or a script sends a run, and the queries that read it: the Temporal message
 * definitions and their payloads. Sandbox-safe: JSON types and Temporal message definitions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BudgetLimits, RunState } from './run';
import type { MessageParam } from './wire';

/** A person's decision on one pending call, as the `approval` signal and the `decide` update carry it. */
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

/** What the `decide` update answers once the run has accepted a decision. */
export interface DecisionResult {
  callId: string;
  decision: 'approve' | 'reject';
  /** The hash of what will run: the original's, or the edited input's. */
  argsHash: string;
}

/** More budget for a run, added to its limits (the `extendBudget` update); fields left out add nothing. */
export interface BudgetTopUp {
  by: string;
  usd?: number;
  steps?: number;
  inputTokens?: number;
  outputTokens?: number;
  wallClockMs?: number;
  callsPerTool?: number;
}

/** An operator's word on one blocked compensation: who, why, and which effect. */
export interface OperatorAction {
  effectId: string;
  by: string;
  reason: string;
}

/** Who ends a run, and why (the `abort` update): every started reversible step is undone. */
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

/** Reads a run's whole state ({@link RunState}); answered by every run, running or closed. */
export const getStateQuery = defineQuery<RunState>('getState');
/** The real input of a pending call, for an approver's edit that must keep what they were not shown; null when not pending. */
export const approvalInputQuery = defineQuery<PendingInput | null, [string]>('approvalInput');
/** The context of the model call in flight; `callModel` reads it so contexts stay out of history. */
export const modelContextQuery = defineQuery<MessageParam[], [number]>('modelContext');
/** Sends a decision on a pending call without waiting for an answer; a refusal shows in the run's state. */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');
/** Decides a pending call and waits for the run to accept it; a refused decision fails the update with why. */
export const decideUpdate = defineUpdate<DecisionResult, [ApprovalDecision]>('decide');
/** Tops up a run's budget (e.g. one paused in `budget_exhausted`); answers the new limits. */
export const extendBudgetUpdate = defineUpdate<BudgetLimits, [BudgetTopUp]>('extendBudget');
/** Ends a run on purpose: it rolls back every started reversible step, newest first. */
export const abortUpdate = defineUpdate<void, [AbortRequest]>('abort');
/** Sends a running agent a message, read by its next model call; only its steerers may. */
export const sendMessageUpdate = defineUpdate<MessageReceipt, [UserMessage]>('sendMessage');
/** Stops a run after the step in progress, until a message or an abort. */
export const interruptUpdate = defineUpdate<void, [InterruptRequest]>('interrupt');
/** Tries the model of a run paused in `model_unavailable` at once; refused in any other state. */
export const resumeModelUpdate = defineUpdate<void, [ResumeRequest]>('resumeModel');
/** Asks a blocked run to try a failed compensation again now (the service is fixed). */
export const retryCompensationSignal = defineSignal<[OperatorAction]>('retryCompensation');
/** Tells a blocked run to give up undoing one effect, with a reason kept in its records, and move on. */
export const skipCompensationSignal = defineSignal<[OperatorAction]>('skipCompensation');
