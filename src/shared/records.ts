/**
 * The records a run keeps as it goes: its effects and their undo, approval requests and decisions, the
 * timeline, and the tool calls of the turn in flight. Sandbox-safe: JSON types only.
 */
import type { ContentBlock, ToolResultBlockParam } from './wire';

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
