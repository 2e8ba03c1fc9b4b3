/**
 * Signed decisions: an approver's Ed25519 signature over the canonical JSON of exactly what they decided, so a
 * name typed by a sender is not enough. Pure JS (`@noble/curves`, audited) so the workflow verifies in the sandbox,
 * deterministically; the CLI, the client and the inbox sign with the same message.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils';
import type { ApprovalDecision } from '../shared/messages';
import { canonicalJson } from './canonical';

/** What a signature covers. `reason` is signed too, so nobody can put other words in an approver's mouth. */
export interface SignedDecisionFields {
  workflowId: string;
  callId: string;
  argsHash: string;
  decision: 'approve' | 'reject';
  approver: string;
  /** The approver's edit, or null without one. */
  editedInput: unknown;
  reason: string | null;
  /** The signature is refused from this instant on (ISO 8601). */
  expiresAt: string;
  /**
   * The first run id of the run's chain (it survives continue-as-new), where the run binds signatures to it: then a
   * signature never counts in another run started under the same workflow id. Absent for runs from before.
   */
  runId?: string;
}

/** What a signature over `decision`, sent to run `workflowId` and valid until `expiresAt`, covers. */
export function signedFieldsOf(
  workflowId: string,
  decision: Pick<ApprovalDecision, 'callId' | 'argsHash' | 'decision' | 'approver' | 'editedInput' | 'reason'>,
  expiresAt: string,
  runId?: string,
): SignedDecisionFields {
  const { callId, argsHash, approver } = decision;
  return {
    workflowId,
    callId,
    argsHash,
    decision: decision.decision,
    approver,
    editedInput: decision.editedInput ?? null,
    reason: decision.reason ?? null,
    expiresAt,
    ...(runId !== undefined ? { runId } : {}),
  };
}

/** The bytes an approver signs: canonical JSON (RFC 8785) of the fields, under a fixed domain tag (v2 binds the run id). */
export function decisionMessage(fields: SignedDecisionFields): Uint8Array {
  return utf8ToBytes(
    canonicalJson({
      domain: fields.runId !== undefined ? 'sagent.decision.v2' : 'sagent.decision.v1',
      ...(fields.runId !== undefined ? { runId: fields.runId } : {}),
      workflowId: fields.workflowId,
      callId: fields.callId,
      argsHash: fields.argsHash,
      decision: fields.decision,
      approver: fields.approver,
      editedInput: fields.editedInput ?? null,
      reason: fields.reason ?? null,
      expiresAt: fields.expiresAt,
    }),
  );
}

/** A new key pair, hex-encoded (32-byte private seed, 32-byte public key). */
export function newKeyPair(): { privateKey: string; publicKey: string } {
  const secret = ed25519.utils.randomPrivateKey();
  return { privateKey: bytesToHex(secret), publicKey: bytesToHex(ed25519.getPublicKey(secret)) };
}

export function publicKeyOf(privateKeyHex: string): string {
  return bytesToHex(ed25519.getPublicKey(hexToBytes(privateKeyHex)));
}

/** Signs a decision; the signature is 64 bytes in hex. */
export function signDecision(privateKeyHex: string, fields: SignedDecisionFields): string {
  return bytesToHex(ed25519.sign(decisionMessage(fields), hexToBytes(privateKeyHex)));
}

/** Whether `signatureHex` is `publicKeyHex`'s signature of `fields`; malformed keys or signatures are false. */
export function verifyDecision(publicKeyHex: string, fields: SignedDecisionFields, signatureHex: string): boolean {
  if (!isHex(signatureHex, 128) || !isHex(publicKeyHex, 64)) return false;
  try {
    return ed25519.verify(hexToBytes(signatureHex), decisionMessage(fields), hexToBytes(publicKeyHex));
  } catch {
    return false;
  }
}

/** Whether `text` is `length` hex characters. */
export function isHex(text: unknown, length: number): text is string {
  return typeof text === 'string' && text.length === length && /^[0-9a-f]+$/i.test(text);
}
