/** Approval policy: which calls wait for a human, and which decisions are accepted. */
import { z } from 'zod';
import { approvalFor, checkDecision, DEFAULT_APPROVAL, resolveApprovalSettings } from '../../src/policies/approval';
import type { ApprovalDecision, ApprovalSettings, PendingApproval } from '../../src/shared/contracts';
import { abortTool, defineTool, type ToolRisk } from '../../src/tools/define';

function toolWithRisk(name: string, risk: ToolRisk) {
  return defineTool({
    name,
    description: `${name} tool`,
    input: z.object({}),
    risk,
    ...(risk === 'reversible' || risk === 'privileged' ? { compensation: `undo_${name}` } : {}),
  });
}

const SETTINGS: ApprovalSettings = { ...DEFAULT_APPROVAL, approvers: ['alice', 'bob'], timeoutMs: 60_000 };

describe('approvalFor', () => {
  it.each<[ToolRisk, 'run' | 'ask']>([
    ['read', 'run'],
    ['reversible', 'run'],
    ['privileged', 'ask'],
    ['irreversible', 'ask'],
  ])('a %s tool must %s', (risk, kind) => {
    expect(approvalFor(toolWithRisk('step', risk), SETTINGS).kind).toBe(kind);
  });

  it('asks the configured approvers, with the timeout and a reason naming the risk', () => {
    expect(approvalFor(toolWithRisk('charge_card', 'privileged'), SETTINGS)).toEqual({
      kind: 'ask',
      reason: 'charge_card is privileged',
      approvers: ['alice', 'bob'],
      timeoutMs: 60_000,
    });
    expect(approvalFor(toolWithRisk('send_email', 'irreversible'), SETTINGS)).toMatchObject({ reason: 'send_email is irreversible' });
  });

  it("asks for a low-risk tool when the run's requireFor names it", () => {
    const settings = { ...SETTINGS, requireFor: ['book_hotel'] };
    expect(approvalFor(toolWithRisk('book_hotel', 'reversible'), settings)).toEqual({
      kind: 'ask',
      reason: "the run's policy names book_hotel",
      approvers: ['alice', 'bob'],
      timeoutMs: 60_000,
    });
    expect(approvalFor(toolWithRisk('search_hotels', 'read'), settings)).toEqual({ kind: 'run' });
  });

  it('gives the risk as the reason when both the risk and requireFor ask', () => {
    const settings = { ...SETTINGS, requireFor: ['charge_card'] };
    expect(approvalFor(toolWithRisk('charge_card', 'privileged'), settings)).toMatchObject({ reason: 'charge_card is privileged' });
  });

  it('never holds a control tool such as abort, even when requireFor names it', () => {
    expect(approvalFor(abortTool, { ...SETTINGS, requireFor: ['abort'] })).toEqual({ kind: 'run' });
  });
});

describe('resolveApprovalSettings', () => {
  it('fills defaults, ignores undefined and removes duplicate names', () => {
    expect(resolveApprovalSettings({ approvers: ['alice', 'alice', 'bob'], requireFor: ['x', 'x'], timeoutMs: undefined })).toEqual({
      approvers: ['alice', 'bob'],
      approverKeys: {},
      anyNamespaceUser: false,
      requireFor: ['x'],
      timeoutMs: 86_400_000,
      onExpiry: 'reject',
      rejectionIsFatal: false,
    });
  });
});

describe('checkDecision', () => {
  const NOW_MS = Date.parse('2026-01-01T12:00:00.000Z');
  const request: PendingApproval = {
    callId: 'call-1',
    tool: 'charge_card',
    input: { amount: 120 },
    effectId: 'run-1/effect-3',
    argsHash: 'a'.repeat(64),
    requestedAt: '2026-01-01T11:00:00.000Z',
    expiresAt: '2026-01-01T13:00:00.000Z',
    approvers: ['alice', 'bob'],
    escalated: false,
  };
  const approve: ApprovalDecision = { callId: 'call-1', argsHash: 'a'.repeat(64), decision: 'approve', approver: 'alice' };

  it('accepts a valid approval and returns the pending request it answers', () => {
    const other = { ...request, callId: 'call-2' };
    expect(checkDecision([other, request], approve, NOW_MS)).toEqual({ ok: true, pending: request });
  });

  it('accepts a rejection that gives a reason', () => {
    expect(checkDecision([request], { ...approve, decision: 'reject', reason: 'too expensive' }, NOW_MS)).toEqual({ ok: true, pending: request });
  });

  it('refuses a decision for a call that is not pending (unknown or already decided)', () => {
    expect(checkDecision([request], { ...approve, callId: 'call-9' }, NOW_MS)).toMatchObject({
      ok: false,
      why: 'no pending approval for call call-9 (unknown or already decided)',
    });
    expect(checkDecision([], approve, NOW_MS)).toMatchObject({ ok: false, why: expect.stringContaining('call-1 (unknown or already decided)') });
  });

  it('refuses a decision made for other arguments', () => {
    expect(checkDecision([request], { ...approve, argsHash: 'b'.repeat(64) }, NOW_MS)).toMatchObject({
      ok: false,
      code: 'ApprovalRefused.HashMismatch',
      why: 'argsHash does not match call call-1: the decision was made for other arguments (send the full 64-character hash)',
    });
  });

  it('accepts a decision one millisecond before expiry and refuses one at the expiry instant', () => {
    const expiresAtMs = Date.parse(request.expiresAt);
    expect(checkDecision([request], approve, expiresAtMs - 1)).toMatchObject({ ok: true });
    expect(checkDecision([request], approve, expiresAtMs)).toMatchObject({
      ok: false,
      why: 'the approval request for call call-1 expired at 2026-01-01T13:00:00.000Z',
    });
  });

  it('refuses an approver who is not on the list', () => {
    expect(checkDecision([request], { ...approve, approver: 'mallory' }, NOW_MS)).toMatchObject({
      ok: false,
      why: 'mallory may not approve this run (allowed: alice, bob)',
    });
  });

  it('lets any named approver decide when the approver list is empty', () => {
    const open = { ...request, approvers: [] };
    expect(checkDecision([open], { ...approve, approver: 'anyone' }, NOW_MS)).toEqual({ ok: true, pending: open });
    expect(checkDecision([open], { ...approve, approver: '   ' }, NOW_MS)).toMatchObject({ ok: false, why: 'the decision names no approver' });
  });

  it.each<[string, string | undefined]>([
    ['no reason', undefined],
    ['an empty reason', ''],
    ['a blank reason', '  \n '],
  ])('refuses a rejection with %s', (_label, reason) => {
    const decision: ApprovalDecision = { ...approve, decision: 'reject', ...(reason !== undefined ? { reason } : {}) };
    expect(checkDecision([request], decision, NOW_MS)).toMatchObject({ ok: false, why: 'a rejection needs a reason, so Claude can go another way' });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'the decision is not an object'],
    ['a string', 'approve', 'the decision is not an object'],
    ['an unknown verdict', { ...approve, decision: 'maybe' }, 'decision must be "approve" or "reject", not "maybe"'],
    ['a missing verdict', { callId: 'call-1', argsHash: 'a'.repeat(64), approver: 'alice' }, '`decision` is missing'],
    ['no approver', { ...approve, approver: undefined }, '`approver` is missing'],
    ['an approver that is not a string', { ...approve, approver: 7 }, '`approver` must be text, not (a number)'],
    ['an empty approver', { ...approve, approver: '' }, 'the decision names no approver'],
  ])('refuses a malformed decision: %s', (_label, decision, why) => {
    expect(checkDecision([request], decision as ApprovalDecision, NOW_MS)).toMatchObject({ ok: false, why });
  });
});
