/**
 * Schemas shared by every run of a workflow context (the preloaded `sagent/workflow` entry): the SDK freezes what
 * shared modules export, zod's own patterns included, and zod writes to a schema as it checks. A settled schema and a
 * tool's own patterns keep checking, on success and on failure, once everything around them is frozen.
 */
import { z } from 'zod';
import { ownPatterns, shareable } from '../../src/shared/settle';
import { defineAgent, defineTool } from '../../src/tools/define';

test("a tool's format checks use patterns of their own, so zod's frozen ones are never written", () => {
  const zodPattern = z.email()._zod.def.pattern!;
  // As the SDK leaves zod's exports once the workflow entry is preloaded.
  Object.freeze(zodPattern);
  const tool = defineTool({
    name: 'send_note',
    description: 'Sends a note.',
    input: z.object({ to: z.email(), cc: z.array(z.email()).optional() }),
    risk: 'irreversible',
  });
  const shape = (tool.input as z.ZodObject<{ to: z.ZodEmail }>).shape;
  expect(shape.to._zod.def.pattern).not.toBe(zodPattern);
  expect(shape.to._zod.def.pattern!.source).toBe(zodPattern.source);
  expect(tool.input.safeParse({ to: 'ana@example.com', cc: ['bob@example.com'] }).success).toBe(true);
  const refused = tool.input.safeParse({ to: 'ana@example.com', cc: ['not an address'] });
  expect(refused.success).toBe(false);
  expect(refused.error?.issues[0]?.path).toEqual(['cc', 0]);
});

test('a shareable schema is frozen at its top and still checks, again and again', () => {
  const schema = shareable(z.object({ task: z.string().trim().min(1, 'the task is empty'), approvers: z.array(z.string()).optional() }).strict());
  expect(Object.isFrozen(schema)).toBe(true);
  for (let attempt = 0; attempt < 3; attempt++) {
    expect(schema.safeParse({ task: ' book it ' })).toEqual({ success: true, data: { task: 'book it' } });
    const refused = schema.safeParse({ task: '   ', extra: 1 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((issue) => issue.code).sort()).toEqual(['too_small', 'unrecognized_keys']);
  }
});

test('ownPatterns leaves frozen values and foreign objects alone', () => {
  const frozen = Object.freeze({ pattern: /x/ });
  ownPatterns(frozen);
  ownPatterns(new Date(0));
  ownPatterns(null);
  expect(frozen.pattern.source).toBe('x');
});

/** As the SDK freezes what a preloaded module exports: own properties first, stopping at what is frozen already. */
function freezeLikeSharedModule(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  if (Object.isFrozen(value)) return;
  if (typeof value === 'object') for (const key of Reflect.ownKeys(value)) freezeLikeSharedModule((value as Record<PropertyKey, unknown>)[key], seen);
  Object.freeze(value);
}

test('a preloaded definitions module may export the schemas of its agent and tool beside them, and both still check', () => {
  const output = z.object({ city: z.string().min(1), highC: z.number().int() });
  const input = z.object({ city: z.string().trim().min(1), to: z.email() });
  const tool = defineTool({ name: 'get_forecast', description: 'Reads a forecast.', input, risk: 'read' });
  const agent = defineAgent({ name: 'forecaster', description: 'Forecasts the weather.', system: 'Forecasts.', tools: [tool], output });
  // regression: an exported schema was frozen to its internals, and zod threw on its first check in a run.
  freezeLikeSharedModule({ agent, output, input });
  for (let attempt = 0; attempt < 2; attempt++) {
    expect(agent.output!.safeParse({ city: 'Lisbon', highC: 21 }).success).toBe(true);
    expect(
      output
        .safeParse({ city: '', highC: 2.5 })
        .error?.issues.map((issue) => issue.code)
        .sort(),
    ).toEqual(['invalid_type', 'too_small']);
    expect(input.safeParse({ city: ' Porto ', to: 'ana@example.com' })).toEqual({ success: true, data: { city: 'Porto', to: 'ana@example.com' } });
    expect(tool.input.safeParse({ city: 'Porto', to: 'nobody' }).success).toBe(false);
  }
});
