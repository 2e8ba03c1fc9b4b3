/**
 * The records a run keeps as it goes: its effects and their undo, approval requests and decisions, the
 * timeline, and the tool calls of the turn in flight. Sandbox-safe: JSON types only.
 */
import type { ContentBlock, ToolResultBlockParam } from './wire';

/** Where a step that changes the world stands: registered, landed, failed, or with an outcome nobody knows yet. */
export type EffectState = 'pending' | 'committed' | 'failed' | 'unknown';
/** What became of a step's undo: registered before the step, then run, not needed, failed, or skipped by an operator. */
export type CompensationOutcome = 'none' | 'registered' | 'running' | 'compensated' | 'not_needed' | 'not_compensable' | 'failed' | 'skipped';

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
  /** A step that delegated to a sub-agent: the child run and, once it ended, its effects (undone as this step). */
  delegation?: DelegationRecord;
  /** The undo's input, derived by the worker from the forward step's input and result (MCP compensation mappings). */
  undoInput?: unknown;
  /** Who started the run that took this step, and for which tenant (runs that name them). */
  principal?: string;
  tenant?: string;
}

/** A call waiting for a person's decision: what would run, bound to its argument hash, and until when. */
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
  /** The rule that asked for the approval, e.g. "charge_card is privileged". */
  rule?: string;
  /** In views people read: the fields of `input` shown masked (the tool marks them secret), e.g. `["card"]`. */
  maskedFields?: string[];
}

/** A decision taken on a call (or its expiry), kept in the run's audit trail. */
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
  /** The decision carried the approver's valid Ed25519 signature. */
  signed?: boolean;
  /** The signature's fingerprint (sha-256 of its hex, first 16 characters), for the audit trail. */
  signatureFingerprint?: string;
}

/** A valid decision, with the input that will run (the original, or the approver's validated edit). */
export interface DecidedApproval {
  decision: 'approve' | 'reject';
  approver: string;
  reason: string | null;
  input: unknown;
  argsHash: string;
}

/** A refused message, its fields clipped: the run keeps a short tail of them, for people and for read-back. */
export interface RejectedAttempt {
  /** The call (or, for a compensation action, the effect) the message named. */
  callId: string;
  /** Who the message said it came from. */
  approver: string;
  at: string;
  why: string;
  via: 'signal' | 'update';
  /** Counts every refusal of the run, carried over continue-as-new, so a reader can tell new ones from old. */
  n?: number;
  /** The refusal, e.g. `ApprovalRefused.HashMismatch`. */
  code?: string;
  /** The message refused, when not an approval: `skipCompensation`, `extendBudget`, ... */
  message?: string;
}

/**
 * What a long run's books no longer list, counted exactly: continue-as-new carries the newest entries of the
 * timeline, the approval records and the settled part of the ledger, and these counts of the rest, which stay in
 * the histories of earlier runs. Effects still to undo are never left out.
 */
export interface CompactedBooks {
  /** Timeline entries not kept, the oldest first: earlier steps, in the histories of earlier runs. */
  timelineEntries: number;
  /** Effects with nothing left to undo that the ledger no longer lists, the oldest first. */
  effects: number;
  /** Each left-out effect's compensation outcome (what a rollback gives it: `not_compensable`, `not_needed`, ...). */
  effectOutcomes: Partial<Record<CompensationOutcome, number>>;
  /** The highest seq among the left-out effects; 0 when none was. */
  effectsThroughSeq: number;
  /** Approval records (decisions) no longer listed, the oldest first. */
  approvals: number;
  /** Distinct calls the identical-call guard no longer counts, the least used first. */
  callKeys: number;
}

/** One line of a run's timeline: a model call, a tool call, an approval, an undo, a budget or run event. */
export interface TimelineEntry {
  kind: 'model' | 'tool' | 'approval' | 'compensation' | 'budget' | 'run';
  title: string;
  at: string;
  state: 'started' | 'ok' | 'error' | 'waiting' | 'info';
  durationMs?: number;
  effectId?: string;
  detail?: string;
}

/** What Claude asked for, after validation: the tool and the input that will run. */
export interface CallRequest {
  toolUseId: string;
  tool: string;
  input: unknown;
}

/** A read-only call: no effect id and no approval; it runs in parallel with the turn's other reads. */
export interface PlannedRead extends CallRequest {
  changesWorld: false;
}

/** A state-changing call: its step in the saga (seq, effect id, call id) is reserved when the turn is planned. */
export interface PlannedEffect extends CallRequest {
  changesWorld: true;
  seq: number;
  effectId: string;
  callId: string;
  /** The hash an approval is bound to; only calls that asked for one have it. */
  argsHash?: string;
  /** The approver who edited the input before it ran. */
  editedBy?: string;
  /** A read-only call the policy asked a person about: it waits like a step, but is no effect (no ledger entry). */
  readOnly?: true;
}

/** Refused before anything ran (unknown tool, invalid arguments, a loop guard): the result is Claude's error. */
export interface RefusedCall extends CallRequest {
  changesWorld: false;
  status: 'refused';
  result: ToolResultBlockParam;
}

/** Cleared to run: a read, a step that needs no approval, or an approved one. */
export type ReadyCall = (PlannedRead | PlannedEffect) & { status: 'ready' };

/** Waiting for a person's decision, bound to `argsHash`. */
export type AwaitingApprovalCall = PlannedEffect & { status: 'awaiting_approval'; argsHash: string };

/** Ran (or was rejected, or expired); the result is what Claude sees. */
export type DoneCall = (PlannedRead | PlannedEffect) & { status: 'done'; result: ToolResultBlockParam };

/**
 * One tool call of the turn in flight, as planned and as it went, tagged by `status`. Carried over
 * continue-as-new in `TurnInFlight.calls`, so each variant keeps the JSON shape stored histories hold.
 */
export type PlannedCall = RefusedCall | ReadyCall | AwaitingApprovalCall | DoneCall;

/** A turn whose tool calls are not all done; carried over continue-as-new while approvals wait. */
export interface TurnInFlight {
  turn: number;
  assistant: ContentBlock[];
  calls: PlannedCall[];
  readsDone: boolean;
  approvalsNotified: boolean;
}

/**
 * How a delegation ended, recorded on the parent's effect: `completed` (its effects are the parent's to undo),
 * `rolled_back` (the child undid its own effects), `unknown` (it failed or could not start: an operator decides).
 */
export type DelegationOutcome = 'running' | 'completed' | 'rolled_back' | 'unknown';

/** What the parent's ledger keeps of one delegation: the child, and its effects once it ended. */
export interface DelegationRecord {
  workflowId: string;
  agent: string;
  outcome: DelegationOutcome;
  /** The child's effects as its outcome reported them; the parent updates their compensation when it rolls back. */
  effects: EffectRecord[];
}
