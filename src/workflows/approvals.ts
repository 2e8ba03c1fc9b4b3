/**
 * The approval desk: pending requests, bound to the exact call by `argsHash`, decided once by an allowed
 * approver before expiry. A decision that fails a check changes nothing but a recorded rejected attempt.
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { checkDecision, type DecisionCheck } from '../policies/approval';
import type {
  ApprovalDecision,
  ApprovalRecord,
  DecidedApproval,
  DecisionResult,
  PendingApproval,
  RejectedAttempt,
} from '../shared/contracts';

export type Decided = DecidedApproval;

/** Checks an edited input: validated by the tool's schema and hashed for the record. */
export type EditCheck = (pending: PendingApproval, editedInput: unknown) => { ok: true; input: unknown; argsHash: string } | { ok: false; why: string };

export type WaitResult = { kind: 'decided'; decided: Decided } | { kind: 'expired' } | { kind: 'interrupted' };

export class ApprovalDesk {
  private readonly decided: Map<string, Decided>;

  constructor(
    decided: Record<string, Decided>,
    readonly pending: PendingApproval[],
    readonly records: ApprovalRecord[],
    readonly rejectedAttempts: RejectedAttempt[],
    private readonly checkEdit: EditCheck,
    private readonly now: () => number,
  ) {
    this.decided = new Map(Object.entries(decided));
  }

  /** Decisions not yet acted on, to carry over a continue-as-new. */
  decidedSnapshot(): Record<string, Decided> {
    return Object.fromEntries(this.decided);
  }

  open(request: PendingApproval): void {
    if (!this.pending.some((candidate) => candidate.callId === request.callId)) this.pending.push(request);
  }

  /** The update's validator: throws so a bad decision is rejected before it reaches history. */
  validate(decision: ApprovalDecision): void {
    const check = this.check(decision);
    if (!check.ok) throw new Error(check.why);
  }

  /** The update's handler: the validator already ran, but state may have moved on within the same task. */
  decide(decision: ApprovalDecision): DecisionResult {
    const check = this.check(decision);
    if (!check.ok) throw ApplicationFailure.create({ type: 'ApprovalRefused', message: check.why, nonRetryable: true });
    return this.apply(check.pending, decision);
  }

  /** The signal's handler: the same checks, but a failure can only be recorded. */
  receive(decision: ApprovalDecision): void {
    const check = this.check(decision);
    if (!check.ok) {
      this.rejectedAttempts.push({
        callId: String(decision?.callId ?? ''),
        approver: String(decision?.approver ?? ''),
        at: new Date(this.now()).toISOString(),
        why: check.why,
        via: 'signal',
      });
      return;
    }
    this.apply(check.pending, decision);
  }

  /** Waits for the call's decision, its expiry, or `interrupt()` turning true (an abort, a continue-as-new). */
  async waitFor(callId: string, interrupt: () => boolean): Promise<WaitResult> {
    for (;;) {
      const request = this.pending.find((candidate) => candidate.callId === callId);
      const ready = this.decided.get(callId);
      if (ready) return { kind: 'decided', decided: ready };
      if (!request) return { kind: 'expired' };
      const remaining = Date.parse(request.expiresAt) - this.now();
      if (remaining <= 0) return { kind: 'expired' };
      await condition(() => this.decided.has(callId) || interrupt(), remaining, { summary: `approval of ${request.tool} (${callId}) expires` });
      if (!this.decided.has(callId) && interrupt()) return { kind: 'interrupted' };
    }
  }

  /** Ends a request that expired or was overtaken; records what happened. */
  close(callId: string, record: Omit<ApprovalRecord, 'callId' | 'tool' | 'argsHash' | 'at'>): void {
    const request = this.pending.find((candidate) => candidate.callId === callId);
    if (!request) return;
    this.pending.splice(this.pending.indexOf(request), 1);
    this.records.push({ callId, tool: request.tool, argsHash: request.argsHash, at: new Date(this.now()).toISOString(), ...record });
  }

  /** Gives a request more time (escalation). */
  extend(callId: string, byMs: number): PendingApproval | undefined {
    const request = this.pending.find((candidate) => candidate.callId === callId);
    if (!request) return undefined;
    request.expiresAt = new Date(Date.parse(request.expiresAt) + byMs).toISOString();
    request.escalated = true;
    return request;
  }

  /** Takes the decision for a call, once. */
  take(callId: string): Decided | undefined {
    const decided = this.decided.get(callId);
    this.decided.delete(callId);
    return decided;
  }

  /** Never throws: a malformed decision is refused like any other, so no message can wedge the run. */
  private check(decision: ApprovalDecision): DecisionCheck {
    try {
      return this.checkStrictly(decision);
    } catch (err) {
      return { ok: false, why: `the decision could not be read: ${(err as Error)?.message ?? String(err)}` };
    }
  }

  private checkStrictly(decision: ApprovalDecision): DecisionCheck {
    const check = checkDecision(this.pending, decision, this.now());
    if (!check.ok || decision.decision !== 'approve' || decision.editedInput === undefined) return check;
    const edit = this.checkEdit(check.pending, decision.editedInput);
    return edit.ok ? check : { ok: false, why: `the edited input is invalid: ${edit.why}` };
  }

  private apply(request: PendingApproval, decision: ApprovalDecision): DecisionResult {
    const edit = decision.decision === 'approve' && decision.editedInput !== undefined
      ? this.checkEdit(request, decision.editedInput)
      : undefined;
    const input = edit?.ok ? edit.input : request.input;
    const argsHash = edit?.ok ? edit.argsHash : request.argsHash;
    this.pending.splice(this.pending.indexOf(request), 1);
    this.records.push({
      callId: request.callId,
      tool: request.tool,
      argsHash: request.argsHash,
      decision: decision.decision,
      approver: decision.approver,
      reason: decision.reason ?? null,
      at: new Date(this.now()).toISOString(),
      ...(edit?.ok ? { editedArgsHash: edit.argsHash } : {}),
    });
    this.decided.set(request.callId, {
      decision: decision.decision,
      approver: decision.approver,
      reason: decision.reason ?? null,
      input,
      argsHash,
    });
    return { callId: request.callId, decision: decision.decision, argsHash };
  }
}
