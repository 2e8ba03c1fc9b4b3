/**
 * Schemas shared by every run of a workflow context (the preloaded `sagent/workflow` entry): the SDK freezes what
 * shared modules export, zod's own patterns included, and zod writes to a schema as it checks. A settled schema and a
 * tool's own patterns keep checking, on success and on failure, once everything around them is frozen.
 */
import { z } from 'zod';
import { ownPatterns, shareable } from '../../src/shared/settle';
import { defineTool } from '../../src/tools/define';

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
