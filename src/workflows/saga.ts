/**
 * The saga ledger. A compensation is registered before its forward step is scheduled, so a step whose
 * outcome is unknown is still undone; on rollback the compensations run newest-first, each retried with
 * backoff until it succeeds or an operator decides.
 */
import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import type { OperatorAction } from '../shared/messages';
import type { CompensationOutcome, DelegationOutcome, DelegationRecord, EffectRecord } from '../shared/records';
import { TOOL_FAILURE_TYPES } from '../shared/activity-io';

/** What a delegated step's child ended as, for the ledger to record on the parent's effect. */
export interface ChildEnd {
  outcome: DelegationOutcome;
  effects?: EffectRecord[];
}

/** Runs one compensation activity; it throws when the undo failed, so the ledger retries it. */
export type CompensationRun = (effect: EffectRecord) => Promise<'compensated' | 'not_needed'>;

/** What the rollback reports as it goes, so the loop can show it; the ledger itself shows nothing. */
export type RollbackStep =
  /** The undo of `effect` keeps failing: the run shows `blocked` until it succeeds or an operator skips it. */
  | { kind: 'blocked'; effect: EffectRecord }
  /** An undo succeeded or was skipped: whatever was blocked no longer is. */
  | { kind: 'unblocked' }
  /** `effect` has its final compensation outcome. */
  | { kind: 'settled'; effect: EffectRecord };

export interface RollbackPolicy {
  /** Failed attempts after which the run shows `blocked`. */
  blockAfter: number;
  /** First wait between attempts; doubles each time. @default 1s */
  initialBackoffMs: number;
  /** @default 5 minutes */
  maxBackoffMs: number;
}

export class SagaLedger {
  private readonly operatorActions: Array<OperatorAction & { action: 'retry' | 'skip' }> = [];

  constructor(readonly effects: EffectRecord[] = []) {}

  /** Records a step before it is scheduled, with what would undo it (and, for a delegated step, its child). */
  register(
    step: { effectId: string; seq: number; tool: string; input: unknown; undo: string | null; principal?: string; tenant?: string },
    delegation?: DelegationRecord,
  ): EffectRecord {
    const existing = this.find(step.effectId);
    if (existing) return existing;
    const record: EffectRecord = {
      ...step,
      state: 'pending',
      compensation: step.undo ? 'registered' : 'none',
      compensationAttempts: 0,
    };
    if (delegation) record.delegation = delegation;
    this.effects.push(record);
    return record;
  }

  /**
   * Settles a step once its executor answered: committed (with what its undo needs), or failed (a definitive
   * rejection) or unknown (anything else); a delegated step's child end is recorded first.
   */
  settle(effectId: string, outcome: { ok: true; undoInput?: unknown } | { ok: false; error: unknown }, child?: ChildEnd): EffectRecord {
    const effect = this.mustFind(effectId);
    if (child) this.childEnded(effectId, child);
    if (outcome.ok) effect.state = 'committed';
    else effect.state = isDefinitiveRejection(outcome.error) ? 'failed' : 'unknown';
    if (outcome.ok && outcome.undoInput !== undefined) effect.undoInput = outcome.undoInput;
    return effect;
  }

  /** Records how a delegated step's child ended (its effects, when it reported them). */
  childEnded(effectId: string, child: ChildEnd): void {
    const delegation = this.mustFind(effectId).delegation;
    if (!delegation) return;
    if (child.effects) delegation.effects = child.effects;
    delegation.outcome = child.outcome;
  }

  /** Settles an unknown effect by what reconciliation learned: as if its response had arrived. */
  reconciled(effectId: string, learned: 'committed' | 'not_committed'): void {
    this.mustFind(effectId).state = learned === 'committed' ? 'committed' : 'failed';
  }

  find(effectId: string): EffectRecord | undefined {
    return this.effects.find((effect) => effect.effectId === effectId);
  }

  /** Operator messages for a blocked rollback; recorded even when nothing is blocked yet. */
  operator(action: OperatorAction, kind: 'retry' | 'skip'): { ok: boolean; why?: string } {
    const effect = this.find(action?.effectId);
    if (!effect) return { ok: false, why: `no effect ${action?.effectId} in this run` };
    if (!action.by || !action.reason) return { ok: false, why: 'an operator action needs `by` and `reason`' };
    this.operatorActions.push({ ...action, action: kind });
    return { ok: true };
  }

  /** Undoes every started effect, newest first, reporting each step; ends once each has an outcome. */
  async *rollback(undo: CompensationRun, policy: RollbackPolicy): AsyncGenerator<RollbackStep, void, void> {
    const newestFirst = [...this.effects].sort((a, b) => b.seq - a.seq);
    for (const effect of newestFirst) {
      if (isFinal(effect.compensation)) continue;
      if (effect.state === 'failed') {
        effect.compensation = 'not_needed';
      } else if (!effect.undo) {
        effect.compensation = 'not_compensable';
      } else {
        yield* this.undoOne(effect, undo, policy);
      }
      yield { kind: 'settled', effect };
    }
  }

  private async *undoOne(effect: EffectRecord, undo: CompensationRun, policy: RollbackPolicy): AsyncGenerator<RollbackStep, void, void> {
    let backoff = policy.initialBackoffMs;
    for (;;) {
      // Actions that arrive while the attempt runs count too.
      const seen = this.operatorActions.length;
      effect.compensation = 'running';
      try {
        effect.compensation = await undo(effect);
        delete effect.compensationError;
      } catch (err) {
        effect.compensationAttempts += 1;
        effect.compensation = 'failed';
        effect.compensationError = describe(err);
      }
      if (effect.compensation !== 'failed') {
        yield { kind: 'unblocked' };
        return;
      }
      const blocked = effect.compensationAttempts >= policy.blockAfter;
      if (blocked) yield { kind: 'blocked', effect };
      const acted = await condition(
        () => this.operatorActions.slice(seen).some((action) => action.effectId === effect.effectId),
        blocked ? Math.min(backoff, policy.maxBackoffMs) : backoff,
        { summary: `retry undo of ${effect.tool} (${effect.effectId})` },
      );
      if (acted) {
        const action = this.operatorActions
          .slice(seen)
          .filter((candidate) => candidate.effectId === effect.effectId)
          .pop()!;
        if (action.action === 'skip') {
          effect.compensation = 'skipped';
          effect.skippedBy = { by: action.by, reason: action.reason };
          yield { kind: 'unblocked' };
          return;
        }
        backoff = policy.initialBackoffMs;
      } else {
        backoff = Math.min(backoff * 2, policy.maxBackoffMs);
      }
    }
  }

  private mustFind(effectId: string): EffectRecord {
    const effect = this.find(effectId);
    if (!effect) throw ApplicationFailure.nonRetryable(`no effect ${effectId} in the ledger`, 'SagaLedger.UnknownEffect');
    return effect;
  }
}

const FINAL: readonly CompensationOutcome[] = ['compensated', 'not_needed', 'not_compensable', 'skipped'];

function isFinal(outcome: CompensationOutcome): boolean {
  return FINAL.includes(outcome);
}

/** The other side said no and nothing happened: there is nothing to undo. */
export function isDefinitiveRejection(error: unknown): boolean {
  const type = failureType(error);
  // An open breaker on the first attempt: the call never left the worker. After earlier attempts, it may have landed.
  return type === TOOL_FAILURE_TYPES.Rejected || (type === TOOL_FAILURE_TYPES.ServiceUnavailable && firstDetail(error)?.firstAttempt === true);
}

function firstDetail(error: unknown): Record<string, unknown> | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const details = (cause as { details?: unknown[] } | undefined)?.details;
  const first = Array.isArray(details) ? details[0] : undefined;
  return first && typeof first === 'object' ? (first as Record<string, unknown>) : undefined;
}

export function failureType(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return (cause as { type?: string } | undefined)?.type;
}

/** What a tool said of its own failure (its code, hint and retry-after), for Claude's `is_error` result. */
export function toolFailureDetails(error: unknown): { code?: string; hint?: string; retry_after_ms?: number } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const details = (cause as { details?: unknown[] } | undefined)?.details;
  const said = Array.isArray(details) ? (details[0] as { code?: unknown; hint?: unknown; retryAfterMs?: unknown } | undefined) : undefined;
  if (!said || typeof said !== 'object') return {};
  return {
    ...(typeof said.code === 'string' ? { code: said.code.slice(0, 100) } : {}),
    ...(typeof said.hint === 'string' ? { hint: said.hint.slice(0, 300) } : {}),
    ...(typeof said.retryAfterMs === 'number' && Number.isFinite(said.retryAfterMs) ? { retry_after_ms: Math.max(0, Math.round(said.retryAfterMs)) } : {}),
  };
}

export function describe(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  const message = (cause as { message?: string } | undefined)?.message ?? String(error);
  return message.slice(0, 300);
}
