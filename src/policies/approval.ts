/**
 * Approval rules. Which calls wait for a human is decided here, from the tool's declaration and the run's
 * input, never from anything Claude or a tool said.
 */
import type { ApprovalDecision } from '../shared/messages';
import type { PendingApproval } from '../shared/records';
import type { ApprovalInput, ApprovalSettings } from '../shared/run';
import type { ToolDefinition } from '../shared/tool-declarations';
import { checkJsonSize, checkTextFields, clip, INPUT_LIMITS, REFUSAL, type Refusal } from './operator-input';
import { signedFieldsOf, verifyDecision } from './signature';

export const DEFAULT_APPROVAL: ApprovalSettings = {
  approvers: [],
  approverKeys: {},
  anyNamespaceUser: false,
  requireFor: [],
  timeoutMs: 24 * 60 * 60 * 1000,
  onExpiry: 'reject',
  rejectionIsFatal: false,
};

export function resolveApprovalSettings(partial: ApprovalInput | undefined): ApprovalSettings {
  const { approvers = [], ...rest } = partial ?? {};
  const merged = { ...DEFAULT_APPROVAL, ...definedOnly(rest) };
  // Built from entries, so every name is an own key: an approver named `__proto__` is a key like any other.
  const approverKeys: Record<string, string> = Object.fromEntries(
    approvers.flatMap((approver) => (typeof approver === 'string' ? [] : [[approver.name, approver.publicKey.toLowerCase()] as const])),
  );
  const names = approvers.map((approver) => (typeof approver === 'string' ? approver : approver.name));
  return { ...merged, approvers: [...new Set(names)], approverKeys, requireFor: [...new Set(merged.requireFor)] };
}

/** Whether the run names nobody who may decide and does not let anyone: its risky calls cannot wait. */
export function nobodyMayDecide(settings: ApprovalSettings): boolean {
  return settings.approvers.length === 0 && !settings.anyNamespaceUser;
}

/** Who may decide, as people read it: "alice (signed), bob (signed)", or "any namespace user". */
export function describeDeciders(settings: ApprovalSettings, approvers: readonly string[]): string {
  if (approvers.length === 0) return settings.anyNamespaceUser ? 'any namespace user (names are not checked)' : 'anyone who names themselves';
  return approvers.map((name) => (Object.hasOwn(settings.approverKeys, name) ? `${name} (signed)` : name)).join(', ');
}

export type ApprovalRequirement = { kind: 'run' } | { kind: 'ask'; reason: string; approvers: string[]; timeoutMs: number };

export function approvalFor(tool: ToolDefinition, settings: ApprovalSettings): ApprovalRequirement {
  if (tool.control) return { kind: 'run' };
  const byRisk = tool.risk === 'privileged' || tool.risk === 'irreversible';
  const byRun = settings.requireFor.includes(tool.name);
  if (!byRisk && !byRun) return { kind: 'run' };
  const reason = byRisk ? `${tool.name} is ${tool.risk}` : `the run's policy names ${tool.name}`;
  return { kind: 'ask', reason, approvers: settings.approvers, timeoutMs: settings.timeoutMs };
}

export type DecisionCheck = { ok: true; pending: PendingApproval } | Refusal;

/** What a signature is checked against: the run's id and its approvers' public keys (none: no signatures). */
export interface DecisionTrust {
  workflowId: string;
  approverKeys: Readonly<Record<string, string>>;
  /** The chain's first run id, where the run binds signatures to it (see `SignedDecisionFields.runId`). */
  firstRunId?: string;
}

/** The fields of a decision and their limits; checked first, so nothing oversized is ever echoed or kept. */
const DECISION_FIELDS = {
  callId: { max: INPUT_LIMITS.id },
  argsHash: { max: INPUT_LIMITS.hash },
  decision: { max: 16 },
  approver: { max: INPUT_LIMITS.name },
  reason: { max: INPUT_LIMITS.reason, optional: true },
  signature: { max: INPUT_LIMITS.signature, optional: true },
  expiresAt: { max: INPUT_LIMITS.timestamp, optional: true },
} as const;

/** How to sign, for a run that refuses an unsigned decision. */
export const HOW_TO_SIGN =
  'create a key with `sagent keys create --as <you>`, have the run started with your public key ' +
  '(`--approver <you>:<publicKey>`), then decide with `sagent approve|reject <run> <call> --as <you>`, ' +
  'SagentClient.decide or the inbox, which sign for you';

/**
 * Checks a decision against the pending request it names. A decision is valid only for a pending call,
 * with the exact hash, before expiry, from an allowed approver (with a valid signature where the run lists
 * keys); a decided call is no longer pending, so a replayed or double decision fails here too. Sizes are
 * checked first, and a refusal echoes nothing longer than a few dozen characters.
 */
export function checkDecision(
  pending: readonly PendingApproval[],
  decision: ApprovalDecision,
  nowMs: number,
  trust: DecisionTrust = { workflowId: '', approverKeys: {} },
): DecisionCheck {
  const fields = checkTextFields(decision, DECISION_FIELDS, 'the decision');
  if (!fields.ok) return fields;
  if (decision.editedInput !== undefined) {
    const edit = checkJsonSize('editedInput', decision.editedInput, INPUT_LIMITS.edit);
    if (!edit.ok) return edit;
  }
  if (decision.decision !== 'approve' && decision.decision !== 'reject') {
    return refuse(REFUSAL.Malformed, `decision must be "approve" or "reject", not ${JSON.stringify(clip(decision.decision, 16))}`);
  }
  if (decision.approver.trim() === '') return refuse(REFUSAL.Malformed, 'the decision names no approver');
  const request = pending.find((candidate) => candidate.callId === decision.callId);
  if (!request) return refuse(REFUSAL.NotPending, `no pending approval for call ${clip(decision.callId)} (unknown or already decided)`);
  if (decision.argsHash !== request.argsHash) {
    return refuse(
      REFUSAL.HashMismatch,
      `argsHash does not match call ${request.callId}: the decision was made for other arguments (send the full 64-character hash)`,
    );
  }
  if (nowMs >= Date.parse(request.expiresAt)) {
    return refuse(REFUSAL.Expired, `the approval request for call ${request.callId} expired at ${request.expiresAt}`);
  }
  if (request.approvers.length > 0 && !request.approvers.includes(decision.approver)) {
    return refuse(REFUSAL.NotAllowed, `${clip(decision.approver)} may not approve this run (allowed: ${request.approvers.join(', ')})`);
  }
  const signature = checkSignature(request, decision, nowMs, trust);
  if (!signature.ok) return signature;
  if (decision.decision === 'reject' && !(typeof decision.reason === 'string' && decision.reason.trim())) {
    return refuse(REFUSAL.NoReason, 'a rejection needs a reason, so Claude can go another way');
  }
  return { ok: true, pending: request };
}

/** Where the run lists keys, the decision must carry the named approver's unexpired signature of exactly it. */
function checkSignature(request: PendingApproval, decision: ApprovalDecision, nowMs: number, trust: DecisionTrust): { ok: true } | Refusal {
  if (Object.keys(trust.approverKeys).length === 0) return { ok: true };
  const publicKey = Object.hasOwn(trust.approverKeys, decision.approver) ? trust.approverKeys[decision.approver] : undefined;
  if (!publicKey) return refuse(REFUSAL.NotAllowed, `${clip(decision.approver)} has no key in this run, and it accepts signed decisions only`);
  if (decision.signature === undefined || decision.signature === null) {
    return refuse(REFUSAL.Unsigned, `this run accepts signed decisions only: ${HOW_TO_SIGN}`);
  }
  const expiresAt = typeof decision.expiresAt === 'string' ? Date.parse(decision.expiresAt) : Number.NaN;
  if (Number.isNaN(expiresAt)) return refuse(REFUSAL.Malformed, 'a signed decision needs `expiresAt`, the instant its signature ends');
  if (nowMs >= expiresAt) return refuse(REFUSAL.Expired, `the signature expired at ${clip(decision.expiresAt)}: sign the decision again`);
  // Checked against the pending call's own id and hash, so a signature cannot be moved onto another call.
  const signed = signedFieldsOf(trust.workflowId, { ...decision, callId: request.callId, argsHash: request.argsHash }, decision.expiresAt!, trust.firstRunId);
  if (!verifyDecision(publicKey, signed, decision.signature)) {
    return refuse(
      REFUSAL.BadSignature,
      `the signature is not ${clip(decision.approver)}'s over this decision of ${request.callId} in this run (a signature made for another run of the same id does not count here)`,
    );
  }
  return { ok: true };
}

function refuse(code: Refusal['code'], why: string): Refusal {
  return { ok: false, code, why };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
