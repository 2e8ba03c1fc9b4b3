/**
 * Delegation between runs: what a sub-agent's run (a child workflow) tells its parent while it goes, and how the
 * parent records it in its ledger. Sandbox-safe: JSON types and a Temporal message definition only.
 */
import { defineSignal } from '@temporalio/workflow';
import type { DelegateProgress } from './run';

export type { DelegateProgress, DelegationView } from './run';
export type { DelegationOutcome, DelegationRecord } from './records';

/** Pending calls a progress report carries; a run rarely has more than a few. */
export const PROGRESS_PENDING_CARRIED = 20;

/** Sent by a delegated run to its parent whenever its status or pending calls change. */
export const delegateProgressSignal = defineSignal<[DelegateProgress]>('delegateProgress');
