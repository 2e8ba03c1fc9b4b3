/**
 * Delegation between runs: what a sub-agent's run (a child workflow) tells its parent while it goes, and how the
 * parent records it in its ledger. Sandbox-safe: JSON types and a Temporal message definition only.
 */
import { defineSignal } from '@temporalio/workflow';
import type { EffectRecord, PendingApproval } from './records';
import type { RunStatus, RunUsage } from './run';

/** Where a delegated run stands, as the parent last heard it. */
export interface DelegateProgress {
  workflowId: string;
  agent: string;
  status: RunStatus;
  statusDetail: string | null;
  /** The child's own pending calls (secrets masked); approve them through the parent's id or the child's. */
  pendingApprovals: PendingApproval[];
  usage: RunUsage;
  /** Orders the reports: two sent in one workflow task may arrive in either order, and the parent keeps the newest. */
  seq?: number;
}

/** A delegated run as the parent's `getState` shows it: the parent's call that started it, and its progress. */
export interface DelegationView extends DelegateProgress {
  /** The parent's effect id whose step the child is. */
  effectId: string;
  tool: string;
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

/** Pending calls a progress report carries; a run rarely has more than a few. */
export const PROGRESS_PENDING_CARRIED = 20;

/** Sent by a delegated run to its parent whenever its status or pending calls change. */
export const delegateProgressSignal = defineSignal<[DelegateProgress]>('delegateProgress');
