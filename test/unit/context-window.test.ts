/** The cheap bound that lets most model calls skip the token estimate: it must never come out below the estimate. */
import type Anthropic from '@anthropic-ai/sdk';
import { estimateInputTokens, inputTokensAtMost } from '../../src/models/context-window';

type Params = Pick<Anthropic.MessageCreateParamsNonStreaming, 'system' | 'tools' | 'messages'>;

const withText = (text: string, extra: Record<string, unknown> = {}): Params => ({
  system: [{ type: 'text', text: 'You answer briefly.' }],
  tools: [{ name: 'lookup', description: text.slice(0, 40), input_schema: { type: 'object', properties: { word: { type: 'string' } }, ...extra } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text }] },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { word: text, n: -1.2345678901234567e-308, ok: true, none: null } }],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: JSON.stringify({ text, list: [1, 2, 3] }) }] },
  ],
});

describe('inputTokensAtMost', () => {
  const hostile = [
    'plain ascii text',
    'é, ü, 日本語, 한국어 and emoji 🧳✈️',
    '\u0000\u0001\u001f control characters that JSON writes as six bytes each',
    '"quotes" and \\backslashes\\ and \n newlines \t tabs',
    'ú'.repeat(5_000),
    '\u001f'.repeat(5_000),
    '',
  ];

  it.each(hostile.map((text) => [JSON.stringify(text).slice(0, 30), text]))('is never below the estimate: %s', (_label, text) => {
    const params = withText(text);
    expect(inputTokensAtMost(params)).toBeGreaterThanOrEqual(estimateInputTokens(params));
  });

  it('holds for keys that need escaping and values that serialise themselves', () => {
    const params = withText('x', { '\u0001"key"': { when: new Date(0), nested: [[[{ deep: 'é' }]]] } });
    expect(inputTokensAtMost(params)).toBeGreaterThanOrEqual(estimateInputTokens(params));
  });

  it('stays within a small factor of the estimate for ordinary text, so ordinary requests skip the estimate', () => {
    const params = withText('Plan a trip to Lisbon for two next week. '.repeat(50));
    expect(inputTokensAtMost(params) / estimateInputTokens(params)).toBeLessThan(6.5);
  });
});
