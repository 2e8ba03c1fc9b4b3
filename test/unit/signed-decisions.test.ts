/** Signed decisions and bounded operator input: pure rules, no server. */
import { checkDecision, nobodyMayDecide, resolveApprovalSettings } from '../../src/policies/approval';
import { checkTextFields, clip, resolveEffectRef } from '../../src/policies/operator-input';
import { newKeyPair, signDecision, verifyDecision, type SignedDecisionFields } from '../../src/policies/signature';
import type { ApprovalDecision, PendingApproval } from '../../src/shared/contracts';
import { checkRunInput } from '../../src/shared/run-input';

const NOW_MS = Date.parse('2026-01-01T12:00:00.000Z');
const request: PendingApproval = {
  callId: 'call-1',
  tool: 'charge_card',
  input: { amount: 120 },
  effectId: 'run-1/effect-1',
  argsHash: 'a'.repeat(64),
  requestedAt: '2026-01-01T11:00:00.000Z',
  expiresAt: '2026-01-01T13:00:00.000Z',
  approvers: ['alice'],
  escalated: false,
};
const alice = newKeyPair();
const mallory = newKeyPair();
const trust = { workflowId: 'run-1', approverKeys: { alice: alice.publicKey } };
const fields: SignedDecisionFields = {
  workflowId: 'run-1',
  callId: 'call-1',
  argsHash: 'a'.repeat(64),
  decision: 'approve',
  approver: 'alice',
  editedInput: null,
  reason: null,
  expiresAt: '2026-01-01T12:10:00.000Z',
};
const signed = (over: Partial<SignedDecisionFields> = {}, key = alice.privateKey): ApprovalDecision => ({
  callId: 'call-1',
  argsHash: 'a'.repeat(64),
  decision: 'approve',
  approver: 'alice',
  expiresAt: fields.expiresAt,
  signature: signDecision(key, { ...fields, ...over }),
});

describe('signed decisions', () => {
  it('accepts the approver’s signature of exactly the decision', () => {
    expect(verifyDecision(alice.publicKey, fields, signDecision(alice.privateKey, fields))).toBe(true);
    expect(checkDecision([request], signed(), NOW_MS, trust)).toMatchObject({ ok: true });
  });

  it('refuses an unsigned decision with the right name, saying how to sign', () => {
    const check = checkDecision([request], { ...signed(), signature: undefined }, NOW_MS, trust);
    expect(check).toMatchObject({ ok: false, code: 'ApprovalRefused.Unsigned', why: expect.stringContaining('sagent keys create --as') });
  });

  it.each<[string, Partial<SignedDecisionFields>]>([
    ['another run', { workflowId: 'run-2' }],
    ['another call', { callId: 'call-2' }],
    ['other arguments', { argsHash: 'b'.repeat(64) }],
    ['a rejection', { decision: 'reject' }],
    ['another expiry', { expiresAt: '2026-01-01T12:20:00.000Z' }],
  ])('refuses a signature made for %s', (_label, over) => {
    expect(checkDecision([request], signed(over), NOW_MS, trust)).toMatchObject({ ok: false, code: 'ApprovalRefused.BadSignature' });
  });

  it('refuses a signature by another key, an expired signature and a name without a key', () => {
    expect(checkDecision([request], signed({}, mallory.privateKey), NOW_MS, trust)).toMatchObject({ code: 'ApprovalRefused.BadSignature' });
    expect(checkDecision([request], signed(), Date.parse(fields.expiresAt), trust)).toMatchObject({ code: 'ApprovalRefused.Expired' });
    const bob = { ...request, approvers: ['alice', 'bob'] };
    expect(checkDecision([bob], { ...signed(), approver: 'bob' }, NOW_MS, trust)).toMatchObject({ code: 'ApprovalRefused.NotAllowed' });
  });

  it('resolves approvers with keys from the run input, and refuses mixing keys and plain names', () => {
    const settings = resolveApprovalSettings({ approvers: [{ name: 'alice', publicKey: alice.publicKey.toUpperCase() }] });
    expect(settings).toMatchObject({ approvers: ['alice'], approverKeys: { alice: alice.publicKey } });
    expect(checkRunInput({ agent: 'a', task: 't', approval: { approvers: ['bob', { name: 'alice', publicKey: alice.publicKey }] } })).toMatchObject({
      success: false,
      error: expect.stringContaining('either every approver has a public key or none has'),
    });
    expect(checkRunInput({ agent: 'a', task: 't', approval: { approvers: [{ name: 'alice', publicKey: 'abc' }] } })).toMatchObject({ success: false });
  });

  it('knows a run that names nobody from one that lets any namespace user decide', () => {
    expect(nobodyMayDecide(resolveApprovalSettings(undefined))).toBe(true);
    expect(nobodyMayDecide(resolveApprovalSettings({ anyNamespaceUser: true }))).toBe(false);
    expect(nobodyMayDecide(resolveApprovalSettings({ approvers: ['ana'] }))).toBe(false);
  });
});

describe('bounded operator input', () => {
  const huge = 'x'.repeat(2_000_000);

  it.each<[string, Partial<ApprovalDecision>]>([
    ['callId', { callId: huge }],
    ['approver', { approver: huge }],
    ['reason', { reason: huge }],
    ['argsHash', { argsHash: huge }],
    ['signature', { signature: huge }],
    ['editedInput', { editedInput: { note: huge } }],
  ])('refuses an oversized %s without echoing it', (_field, over) => {
    const check = checkDecision([request], { ...signed(), ...over } as ApprovalDecision, NOW_MS, trust);
    expect(check).toMatchObject({ ok: false, code: 'ApprovalRefused.TooLarge' });
    expect(JSON.stringify(check).length).toBeLessThan(300);
  });

  it('refuses a verdict that is not text and clips what it echoes', () => {
    expect(checkTextFields({ by: 7 }, { by: { max: 10 } })).toMatchObject({ ok: false, why: '`by` must be text, not (a number)' });
    expect(clip('y'.repeat(100), 10)).toBe('yyyyyyyyyy… (100 characters)');
  });

  it('reads effect references as the CLI and the ledger show them', () => {
    expect(resolveEffectRef('trip-1', '2')).toBe('trip-1/effect-2');
    expect(resolveEffectRef('trip-1', 'effect-2')).toBe('trip-1/effect-2');
    expect(resolveEffectRef('trip-1', 'trip-1/effect-2')).toBe('trip-1/effect-2');
    expect(resolveEffectRef('trip-1', ' 02 ')).toBe('trip-1/effect-2');
  });
});
