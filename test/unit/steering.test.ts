/** Steering rules: who may send a run messages, how large, how many wait, and where a message joins the conversation. */
import { appendTurn, buildContext, DEFAULT_CONTEXT, newConversation } from '../../src/policies/context';
import { checkMessage, joinMessages, MAX_QUEUED_MESSAGES, maySteer } from '../../src/policies/steering';

describe('maySteer', () => {
  it("allows the run's steerers, else its approvers, and nobody when it names neither", () => {
    expect(maySteer('bob', ['bob'], ['alice'])).toEqual({ ok: true });
    expect(maySteer('alice', ['bob'], ['alice'])).toEqual({ ok: false, why: 'alice may not steer this run (allowed: bob)' });
    expect(maySteer('alice', undefined, ['alice'])).toEqual({ ok: true });
    expect(maySteer('alice', undefined, [])).toMatchObject({ ok: false, why: expect.stringMatching(/names no one who may steer it/) });
  });
});

describe('checkMessage', () => {
  it('refuses a message without text or sender, one over 8 KB, and one more than the queue holds', () => {
    expect(checkMessage({ text: 'hi', by: 'bob' }, 0)).toEqual({ ok: true });
    expect(checkMessage({ text: '  ', by: 'bob' }, 0)).toMatchObject({ ok: false, why: expect.stringMatching(/needs `text`/) });
    expect(checkMessage({ text: 'hi' }, 0)).toMatchObject({ ok: false, why: expect.stringMatching(/needs `by`/) });
    expect(checkMessage(null, 0)).toMatchObject({ ok: false });
    expect(checkMessage({ text: 'é'.repeat(4097), by: 'bob' }, 0)).toMatchObject({ ok: false, why: 'the message is 8194 bytes; at most 8192 are accepted' });
    expect(checkMessage({ text: 'hi', by: 'bob' }, MAX_QUEUED_MESSAGES)).toMatchObject({ ok: false, why: expect.stringMatching(/already wait/) });
  });
});

describe('joinMessages', () => {
  const at = '2026-12-06T00:00:00.000Z';
  it("puts the messages after the last turn, as the user's words, after its tool results", () => {
    const conversation = appendTurn(
      newConversation('Plan a trip.'),
      {
        turn: 1,
        assistant: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: {} }],
        results: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }],
      },
      DEFAULT_CONTEXT,
    );
    const messages = buildContext(
      joinMessages(conversation, [
        { text: 'Prefer Porto', by: 'ana', at },
        { text: 'Two nights', by: 'bob', at },
      ]),
    );
    expect(messages.at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'sunny' },
        { type: 'text', text: 'Message from ana: Prefer Porto\n\nMessage from bob: Two nights' },
      ],
    });
  });

  it('adds to the task before the first turn, and changes nothing without messages', () => {
    const conversation = newConversation('Plan a trip.');
    expect(joinMessages(conversation, [{ text: 'Prefer Porto', by: 'ana', at }]).task).toBe('Plan a trip.\n\nMessage from ana: Prefer Porto');
    expect(joinMessages(conversation, [])).toBe(conversation);
  });
});
