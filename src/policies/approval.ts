/**
 * Approval rules. Which calls wait for a human is decided here, from the tool's declaration and the run's
 * input, never from anything Claude or a tool said.
 */
import type { ApprovalDecision } from '../shared/messages';
import type { PendingApproval } from '../shared/records';
import type { ApprovalSettings } from '../shared/run';
import type { ToolDefinition } from '../tools/define';

export const DEFAULT_APPROVAL: ApprovalSettings = {
  approvers: [],
  requireFor: [],
  timeoutMs: 24 * 60 * 60 * 1000,
  onExpiry: 'reject',
  rejectionIsFatal: false,
};

export function resolveApprovalSettings(partial: Partial<ApprovalSettings> | undefined): ApprovalSettings {
  const merged = { ...DEFAULT_APPROVAL, ...definedOnly(partial ?? {}) };
  return { ...merged, approvers: [...new Set(merged.approvers)], requireFor: [...new Set(merged.requireFor)] };
}

export type ApprovalRequirement =
  | { kind: 'run' }
  | { kind: 'ask'; reason: string; approvers: string[]; timeoutMs: number };

export function approvalFor(tool: ToolDefinition, settings: ApprovalSettings): ApprovalRequirement {
  if (tool.control) return { kind: 'run' };
  const byRisk = tool.risk === 'privileged' || tool.risk === 'irreversible';
  const byRun = settings.requireFor.includes(tool.name);
  if (!byRisk && !byRun) return { kind: 'run' };
  const reason = byRisk ? `${tool.name} is ${tool.risk}` : `the run's policy names ${tool.name}`;
  return { kind: 'ask', reason, approvers: settings.approvers, timeoutMs: settings.timeoutMs };
}

export type DecisionCheck = { ok: true; pending: PendingApproval } | { ok: false; why: string };

/**
 * Checks a decision against the pending request it names. A decision is valid only for a pending call,
 * with the exact hash, before expiry, from an allowed approver; a decided call is no longer pending,
 * so a replayed or double decision fails here too.
 */
export function checkDecision(
  pending: readonly PendingApproval[],
  decision: ApprovalDecision,
  nowMs: number,
): DecisionCheck {
  if (!decision || typeof decision !== 'object') return { ok: false, why: 'the decision is not an object' };
  if (decision.decision !== 'approve' && decision.decision !== 'reject') {
    return { ok: false, why: `decision must be "approve" or "reject", not ${JSON.stringify(decision.decision)}` };
  }
  if (typeof decision.callId !== 'string' || typeof decision.argsHash !== 'string') {
    return { ok: false, why: 'a decision needs callId and argsHash as strings' };
  }
  if (typeof decision.approver !== 'string' || decision.approver.trim() === '') {
    return { ok: false, why: 'the decision names no approver' };
  }
  if (decision.reason !== undefined && decision.reason !== null && typeof decision.reason !== 'string') {
    return { ok: false, why: 'the reason must be text' };
  }
  const request = pending.find((candidate) => candidate.callId === decision.callId);
  if (!request) return { ok: false, why: `no pending approval for call ${decision.callId} (unknown or already decided)` };
  if (decision.argsHash !== request.argsHash) {
    return { ok: false, why: `argsHash does not match call ${decision.callId}: the decision was made for other arguments` };
  }
  if (nowMs >= Date.parse(request.expiresAt)) {
    return { ok: false, why: `the approval request for call ${decision.callId} expired at ${request.expiresAt}` };
  }
  if (request.approvers.length > 0 && !request.approvers.includes(decision.approver)) {
    return { ok: false, why: `${decision.approver} may not approve this run (allowed: ${request.approvers.join(', ')})` };
  }
  if (decision.decision === 'reject' && !(typeof decision.reason === 'string' && decision.reason.trim())) {
    return { ok: false, why: 'a rejection needs a reason, so Claude can go another way' };
  }
  return { ok: true, pending: request };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
