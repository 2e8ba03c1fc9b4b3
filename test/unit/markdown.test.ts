/** Values from strangers in the Markdown the Web UI renders: written as data, never as markup. */
import { codeBlock, codeSpan, plainText } from '../../src/shared/markdown';
import { isPlaceholder } from '../../src/policies/operator-input';
import { checkDecision, resolveApprovalSettings } from '../../src/policies/approval';
import type { EffectRecord, PendingApproval, TimelineEntry } from '../../src/shared/records';
import { operatorTemplate, renderOperatorDetails } from '../../src/workflows/operator-details';

test('plain text escapes every character that could make a link, an image, HTML or emphasis, on one line', () => {
  const hostile = '[alice approved - click here](http://evil.example) ![x](http://evil.example/p.png) <script>alert(1)</script> **bold**\n# heading';
  const text = plainText('**bold** [link](/x) <b>hi</b> _em_\n# heading');
  expect(text).toBe('\\*\\*bold\\*\\* \\[link\\]\\(\\/x\\) \\<b\\>hi\\<\\/b\\> \\_em\\_ \\# heading');
  // Anything a renderer could autolink goes into a code span instead.
  expect(plainText(hostile)).toMatch(/^`+ \[alice approved/);
  expect(plainText(hostile)).not.toContain('\n');
  expect(plainText('mail ada@example.com')).toBe('` mail ada@example.com `');
});

test('a code span cannot be closed from inside: its fence is longer than any backtick run', () => {
  expect(codeSpan('alice')).toBe('` alice `');
  expect(codeSpan('a ` b `` c')).toBe('``` a ` b `` c ```');
  expect(codeSpan('line\nbreak')).toBe('` line break `');
  expect(codeSpan('  ')).toBe('(empty)');
});

test('a code block cannot be closed from inside', () => {
  expect(codeBlock('x\n```\n<img src=x>', 'json')).toBe('````json\nx\n```\n<img src=x>\n````');
  expect(codeBlock('{}')).toBe('```\n{}\n```');
});

test("a template's placeholders are refused with a clear error", () => {
  expect(isPlaceholder('<why, for the record>')).toBe(true);
  expect(isPlaceholder(' <your name> ')).toBe(true);
  expect(isPlaceholder('the <b> tag is fine inside a sentence')).toBe(false);
  const request: PendingApproval = {
    callId: 'call-1',
    tool: 'charge_card',
    input: {},
    argsHash: 'a'.repeat(64),
    effectId: 'e1',
    escalated: false,
    requestedAt: new Date(0).toISOString(),
    expiresAt: new Date(10_000).toISOString(),
    approvers: ['ana'],
  };
  const base = { callId: 'call-1', argsHash: 'a'.repeat(64), decision: 'approve' as const, approver: 'ana' };
  expect(checkDecision([request], { ...base, reason: '<why, for the record>' }, 0)).toMatchObject({
    ok: false,
    code: 'ApprovalRefused.Malformed',
    why: expect.stringContaining('placeholder'),
  });
  expect(checkDecision([request], { ...base, approver: '<your name>' }, 0)).toMatchObject({
    ok: false,
    why: expect.stringContaining('`approver` is still the placeholder'),
  });
  expect(checkDecision([request], { ...base, reason: 'checked the amount' }, 0)).toMatchObject({ ok: true });
});

test('regression: an approver named `__proto__` is an own key of the key map, so the run stays signed', () => {
  const settings = resolveApprovalSettings({ approvers: [{ name: '__proto__', publicKey: 'AB'.repeat(32) }] });
  expect(Object.keys(settings.approverKeys)).toEqual(['__proto__']);
  expect(Object.hasOwn(settings.approverKeys, '__proto__')).toBe(true);
  expect(settings.approverKeys.__proto__).toBe('ab'.repeat(32));
});

test("a blocked run's details say how to retry and how to skip, with paste-ready payloads, and list operator actions as data", () => {
  const effect: EffectRecord = {
    effectId: 'run-1/effect-2',
    seq: 2,
    tool: 'book_hotel',
    input: {},
    state: 'committed',
    undo: 'cancel_hotel',
    compensation: 'failed',
    compensationAttempts: 5,
    compensationError: 'hotel API down [see](http://e.vil)',
  };
  const timeline: TimelineEntry[] = [
    {
      kind: 'compensation',
      title: 'retry requested by **ops**',
      at: '2026-01-01T00:00:00.000Z',
      state: 'info',
      detail: 'fixed ![x](http://e.vil/x.png)',
      effectId: effect.effectId,
    },
  ];
  const [blocked, actions] = renderOperatorDetails([effect], timeline, true);
  expect(blocked).toContain('### Undo blocked: cancel\\_hotel of book\\_hotel (effect 2)');
  expect(blocked).toContain('**`retryCompensation`**');
  expect(blocked).toContain('**`skipCompensation`**');
  const payloads = [...blocked.matchAll(/```json\n([^`]+)\n```/g)].map((match) => JSON.parse(match[1]) as Record<string, string>);
  expect(payloads).toEqual([operatorTemplate(effect, 'retry'), operatorTemplate(effect, 'skip')]);
  expect(payloads[0]).toMatchObject({ effectId: '2' });
  expect(blocked).toContain('` hotel API down [see](http://e.vil) `');
  expect(actions).toContain('retry requested by \\*\\*ops\\*\\*');
  expect(actions).toContain('` fixed ![x](http://e.vil/x.png) `');
  // Not blocked: no how-to, the actions still shown.
  expect(renderOperatorDetails([effect], timeline, false)).toEqual([actions]);
});
