/**
 * The approval desk: pending requests, bound to the exact call by `argsHash`, decided once by an allowed
 * approver before expiry. A decision that fails a check changes nothing but a recorded rejected attempt.
 * It keeps its books in the run memory (pending, decided, records, rejected attempts), so they are carried.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { checkDecision, type DecisionCheck, type DecisionTrust } from '../policies/approval';
import { approvalAuditEntry, signatureFingerprint } from '../policies/audit';
import { argsHashOf, byteLength } from '../policies/canonical';
import { REFUSAL } from '../policies/operator-input';
import { describeIssues } from '../policies/tool-call';
import type { ApprovalDecision, DecisionResult } from '../shared/messages';
import type { ApprovalRecord, DecidedApproval, PendingApproval, RejectedAttempt } from '../shared/records';
import type { CarriedState } from '../shared/run';
import type { ToolDefinition } from '../tools/define';
import { recordRefusal } from './refusals';
import type { Timeline } from './timeline';
import { waitUntil } from './wait-until';

export type Decided = DecidedApproval;

/** The part of the run memory the desk keeps. */
export type ApprovalBooks = Pick<CarriedState, 'pendingApprovals' | 'decidedApprovals' | 'approvals' | 'rejectedAttempts' | 'audit'>;

export type EditCheck = { ok: true; input: unknown; argsHash: string } | { ok: false; why: string };

export type WaitResult = { kind: 'decided'; decided: Decided } | { kind: 'expired' } | { kind: 'interrupted' };

/** Checks an approver's edit: sized and validated by the tool's schema, and hashed for the record. */
export function checkEdit(tool: ToolDefinition, effectId: string, edited: unknown): EditCheck {
  const size = byteLength(JSON.stringify(edited ?? null));
  if (size > tool.maxInputBytes) return { ok: false, why: `the edit is ${size} bytes; ${tool.name} accepts at most ${tool.maxInputBytes}` };
  const parsed = tool.input.safeParse(edited);
  if (!parsed.success) return { ok: false, why: describeIssues(parsed.error.issues) };
  return { ok: true, input: parsed.data, argsHash: argsHashOf({ tool: tool.name, input: parsed.data, effectId }) };
}

/** The run's approval requests and decisions; `tools` validates an approver's edit. */
export class ApprovalDesk {
  constructor(
    private readonly books: ApprovalBooks,
    private readonly tools: Readonly<Record<string, ToolDefinition>>,
    private readonly trust: DecisionTrust = { workflowId: '', approverKeys: {} },
  ) {}

  /** The run id signatures of this run cover (the chain's first), if it binds them to one. */
  get signatureRunId(): string | undefined {
    return this.trust.firstRunId;
  }

  get pending(): PendingApproval[] {
    return this.books.pendingApprovals;
  }

  /** The pending request of a call, if it still waits. */
  find(callId: string): PendingApproval | undefined {
    return this.pending.find((candidate) => candidate.callId === callId);
  }

  /** Opens a request; opening one that is already pending changes nothing. */
  open(request: PendingApproval): void {
    if (!this.find(request.callId)) this.pending.push(request);
  }

  /**
   * The update's validator: throws a non-retryable failure typed by the refusal (`ApprovalRefused.HashMismatch`),
   * so a bad decision is rejected before it reaches history; the refusal is kept in the tail for people to see.
   */
  validate(decision: ApprovalDecision, timeline: Timeline): void {
    const check = this.check(decision);
    if (check.ok) return;
    recordRefusal(this.books.rejectedAttempts, { ...whoAndWhat(decision), why: check.why, code: check.code, via: 'update' }, timeline);
    throw ApplicationFailure.create({ type: check.code, message: check.why, nonRetryable: true });
  }

  /** The update's handler: the validator already ran, but state may have moved on within the same task. */
  decide(decision: ApprovalDecision): DecisionResult {
    const check = this.check(decision);
    if (!check.ok) throw ApplicationFailure.create({ type: check.code, message: check.why, nonRetryable: true });
    return this.apply(check.pending, decision);
  }

  /** The signal's handler: the same checks, but a failure can only be recorded; returns the refusal kept. */
  receive(decision: ApprovalDecision, timeline: Timeline): RejectedAttempt | undefined {
    const check = this.check(decision);
    if (!check.ok) return recordRefusal(this.books.rejectedAttempts, { ...whoAndWhat(decision), why: check.why, code: check.code, via: 'signal' }, timeline);
    this.apply(check.pending, decision);
    return undefined;
  }

  /**
   * Waits for the call's decision, its expiry, or `interrupt()` turning true (an abort, a continue-as-new): one wait
   * with the expiry in it, and no async layer around it, since a waiting run holds its wait for as long as it waits.
   */
  waitFor(callId: string, interrupt: () => boolean): Promise<WaitResult> {
    const request = this.find(callId);
    const ready = this.decidedFor(callId);
    if (ready) return Promise.resolve({ kind: 'decided', decided: ready });
    if (!request) return Promise.resolve({ kind: 'expired' });
    const remaining = Date.parse(request.expiresAt) - Date.now();
    if (remaining <= 0) return Promise.resolve({ kind: 'expired' });
    const summary = `approval of ${request.tool} (${callId}) expires`;
    return waitUntil(() => this.decidedFor(callId) !== undefined || interrupt(), remaining, { summary }).then(() =>
      this.decidedFor(callId) === undefined && interrupt() ? { kind: 'interrupted' } : this.waitFor(callId, interrupt),
    );
  }

  /** Ends a request that expired or was overtaken; records what happened. */
  close(callId: string, record: Omit<ApprovalRecord, 'callId' | 'tool' | 'argsHash' | 'at'>): void {
    const request = this.find(callId);
    if (!request) return;
    this.pending.splice(this.pending.indexOf(request), 1);
    this.record({ callId, tool: request.tool, argsHash: request.argsHash, at: new Date(Date.now()).toISOString(), ...record }, request.effectId);
  }

  /** Keeps a decision in the approval records, and in the audit trail of a run that keeps one. */
  private record(record: ApprovalRecord, effectId: string): void {
    this.books.approvals.push(record);
    this.books.audit?.push(approvalAuditEntry(record, effectId));
  }

  /** Gives a request more time (escalation). */
  extend(callId: string, byMs: number): PendingApproval | undefined {
    const request = this.find(callId);
    if (!request) return undefined;
    request.expiresAt = new Date(Date.parse(request.expiresAt) + byMs).toISOString();
    request.escalated = true;
    return request;
  }

  /** Takes the decision for a call, once. */
  take(callId: string): Decided | undefined {
    const decided = this.decidedFor(callId);
    delete this.books.decidedApprovals[callId];
    return decided;
  }

  /** Never throws: a malformed decision is refused like any other, so no message can wedge the run. */
  private check(decision: ApprovalDecision): DecisionCheck {
    try {
      return this.checkStrictly(decision);
    } catch (err) {
      return { ok: false, code: REFUSAL.Malformed, why: `the decision could not be read: ${String((err as Error)?.message ?? err).slice(0, 200)}` };
    }
  }

  private checkStrictly(decision: ApprovalDecision): DecisionCheck {
    const check = checkDecision(this.pending, decision, Date.now(), this.trust);
    if (!check.ok || decision.decision !== 'approve' || decision.editedInput === undefined) return check;
    const edit = this.checkEdit(check.pending, decision.editedInput);
    return edit.ok ? check : { ok: false, code: REFUSAL.InvalidEdit, why: `the edited input is invalid: ${edit.why.slice(0, 300)}` };
  }

  private checkEdit(request: PendingApproval, edited: unknown): EditCheck {
    return checkEdit(this.tools[request.tool], request.effectId, edited);
  }

  private decidedFor(callId: string): Decided | undefined {
    return Object.hasOwn(this.books.decidedApprovals, callId) ? this.books.decidedApprovals[callId] : undefined;
  }

  private apply(request: PendingApproval, decision: ApprovalDecision): DecisionResult {
    const edit = decision.decision === 'approve' && decision.editedInput !== undefined ? this.checkEdit(request, decision.editedInput) : undefined;
    const input = edit?.ok ? edit.input : request.input;
    const argsHash = edit?.ok ? edit.argsHash : request.argsHash;
    this.pending.splice(this.pending.indexOf(request), 1);
    this.record(
      {
        callId: request.callId,
        tool: request.tool,
        argsHash: request.argsHash,
        decision: decision.decision,
        approver: decision.approver,
        reason: decision.reason ?? null,
        at: new Date(Date.now()).toISOString(),
        ...(edit?.ok ? { editedArgsHash: edit.argsHash } : {}),
        ...(decision.signature ? { signed: true, ...(this.books.audit ? { signatureFingerprint: signatureFingerprint(decision.signature) } : {}) } : {}),
      },
      request.effectId,
    );
    this.books.decidedApprovals[request.callId] = {
      decision: decision.decision,
      approver: decision.approver,
      reason: decision.reason ?? null,
      input,
      argsHash,
    };
    return { callId: request.callId, decision: decision.decision, argsHash };
  }
}

/** Who a refused decision said it came from and which call it named, as sent (the tail clips them). */
function whoAndWhat(decision: unknown): { callId: string; approver: string } {
  const fields = decision && typeof decision === 'object' ? (decision as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { callId: text(fields.callId), approver: text(fields.approver) };
}
