/** The run's audit trail: entries built from decisions, in order, bounded when carried. Pure. */
import type { AuditEntry } from '../shared/policy';
import type { ApprovalRecord } from '../shared/records';
import { sha256Hex } from './canonical';

/** Newest audit entries a continue-as-new carries; older ones stay in the histories of earlier runs. */
export const AUDIT_ENTRIES_CARRIED = 500;

/** A signature's fingerprint: who signed can be matched to it without storing the signature twice. */
export function signatureFingerprint(signature: string): string {
  return sha256Hex(signature.toLowerCase()).slice(0, 16);
}

/** A person's decision (or an expiry, a withdrawal) as the audit trail lists it. */
export function approvalAuditEntry(record: ApprovalRecord, effectId: string): AuditEntry {
  return {
    at: record.at,
    kind: 'approval',
    decision: record.decision,
    tool: record.tool,
    callId: record.callId,
    effectId,
    approver: record.approver,
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.signatureFingerprint ? { signatureFingerprint: record.signatureFingerprint } : {}),
  };
}

/** The newest entries, as a continue-as-new carries them. */
export function carriedAudit(audit: readonly AuditEntry[]): AuditEntry[] {
  return audit.slice(-AUDIT_ENTRIES_CARRIED);
}
