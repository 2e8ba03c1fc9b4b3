import { z } from 'zod';
import { checkToolCall, describeIssues, type ToolCallContext } from '../../src/policies/tool-call';
import { defineAgent, defineTool } from '../../src/tools/define';

const agent = defineAgent({
  name: 'shop',
  description: 'test agent',
  system: 'test',
  tools: [
    defineTool({ name: 'lookup', description: 'read', input: z.object({ id: z.string().min(1) }), risk: 'read', maxInputBytes: 64 }),
    defineTool({ name: 'refund', description: 'write', input: z.object({ cents: z.number().int().positive() }), risk: 'reversible', compensation: 'unrefund' }),
  ],
});

const context = (overrides: Partial<ToolCallContext> = {}): ToolCallContext => ({
  agent,
  offered: ['lookup', 'refund', 'abort'],
  counts: { perTool: {}, perCall: {} },
  limits: { maxCallsPerTool: 2, maxIdenticalCalls: 1 },
  truncated: false,
  ...overrides,
});

const call = (name: string, input: unknown) => ({ type: 'tool_use' as const, id: 'toolu_1', name, input });

test('a valid call passes with its parsed input and a call key', () => {
  const check = checkToolCall(call('lookup', { id: 'A-1' }), context());
  expect(check.kind).toBe('ok');
  if (check.kind === 'ok') {
    expect(check.tool.name).toBe('lookup');
    expect(check.input).toEqual({ id: 'A-1' });
    expect(check.callKey).toMatch(/^[0-9a-f]{32}$/);
  }
});

test.each([
  ['an answer cut at max_tokens', call('lookup', { id: 'A-1' }), context({ truncated: true }), 'output_cut'],
  ['an unknown tool', call('teleport', {}), context(), 'unknown_tool'],
  ['a prototype name', call('constructor', {}), context(), 'unknown_tool'],
  ['a tool outside the allowlist', call('refund', { cents: 5 }), context({ offered: ['lookup', 'abort'] }), 'tool_not_allowed'],
  ['oversized arguments', call('lookup', { id: 'x'.repeat(100) }), context(), 'input_too_large'],
  ['arguments that fail the schema', call('refund', { cents: -5 }), context(), 'invalid_arguments'],
  ['a tool over its call budget', call('lookup', { id: 'B' }), context({ counts: { perTool: { lookup: 2 }, perCall: {} } }), 'tool_budget_exhausted'],
])('%s is refused as %s', (_, block, ctx, error) => {
  const check = checkToolCall(block, ctx);
  expect(check).toMatchObject({ kind: 'refuse', error });
  if (check.kind === 'refuse') expect(check.hint.length).toBeGreaterThan(0);
});

test('the same call again is refused once the identical-call limit is reached', () => {
  const first = checkToolCall(call('lookup', { id: 'A-1' }), context());
  if (first.kind !== 'ok') throw new Error('expected ok');
  const again = checkToolCall(call('lookup', { id: 'A-1' }), context({ counts: { perTool: { lookup: 1 }, perCall: { [first.callKey]: 1 } } }));
  expect(again).toMatchObject({ kind: 'refuse', error: 'repeated_call' });
});

test('schema problems are one line naming each field', () => {
  const parsed = z.object({ a: z.string(), b: z.object({ c: z.number() }) }).safeParse({ a: 1, b: { c: 'x' } });
  expect(parsed.success).toBe(false);
  if (!parsed.success)
    expect(describeIssues(parsed.error.issues)).toBe(
      'a: Invalid input: expected string, received number; b.c: Invalid input: expected number, received string',
    );
});
