import { z } from 'zod';
import { maskOutcome, maskSecrets, maskValue } from '../../src/policies/secrets';
import { defineAgent, defineTool } from '../../src/tools/define';
import type { RunOutcome } from '../../src/shared/contracts';

const charge = defineTool({
  name: 'charge',
  description: 'Charges a card',
  input: z.object({ card: z.string(), payer: z.object({ email: z.string() }), amountCents: z.number() }),
  risk: 'privileged',
  secret: ['card', 'payer.email', 'receipts.token'],
});

test('values are masked by kind: card numbers keep their last four, emails their first letter and domain', () => {
  expect(maskValue('4242 4242 4242 4242')).toBe('•••• 4242');
  expect(maskValue('4242424242424242')).toBe('•••• 4242');
  expect(maskValue('ada@example.com')).toBe('a••@example.com');
  expect(maskValue('hunter2')).toBe('••••');
  expect(maskValue(1234)).toBe('••••');
});

test('top-level and dotted fields are masked, through arrays, without touching the original', () => {
  const input = {
    card: '4242 4242 4242 4242',
    payer: { email: 'ada@example.com', name: 'Ada' },
    amountCents: 100,
    receipts: [{ token: 't1' }, { token: 't2' }],
  };
  const copy = structuredClone(input);
  expect(maskSecrets(charge, input)).toEqual({
    card: '•••• 4242',
    payer: { email: 'a••@example.com', name: 'Ada' },
    amountCents: 100,
    receipts: [{ token: '••••' }, { token: '••••' }],
  });
  expect(input).toEqual(copy);
  expect(maskSecrets(charge, 'not an object')).toBe('not an object');
  expect(maskSecrets(undefined, input)).toBe(input);
});

test('a secret value seen in a tool call is masked in the free text of the outcome too', () => {
  const agent = defineAgent({ name: 'a', description: 'd', system: 's', tools: [charge] });
  const outcome: RunOutcome = {
    workflowId: 'w',
    status: 'completed',
    reason: null,
    finalText: 'Charged 4242-4242-4242-4242, receipt sent to ada@example.com.',
    steps: 1,
    usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
    effects: [
      {
        effectId: 'w/effect-1',
        seq: 1,
        tool: 'charge',
        input: { card: '4242424242424242', payer: { email: 'ada@example.com' } },
        state: 'committed',
        undo: null,
        compensation: 'none',
        compensationAttempts: 0,
      },
    ],
    approvals: [],
  };
  const masked = maskOutcome(agent, outcome);
  expect(masked.finalText).toBe('Charged •••• 4242, receipt sent to a••@example.com.');
  expect(masked.effects[0].input).toEqual({ card: '•••• 4242', payer: { email: 'a••@example.com' } });
  expect((outcome.effects[0].input as { card: string }).card).toBe('4242424242424242');
});

test('a secret path that is not a field name or dotted path fails at declaration', () => {
  expect(() => defineTool({ name: 't', description: 'd', input: z.object({}), risk: 'read', secret: ['a..b'] })).toThrow(/marks "a..b" secret/);
});
