/**
 * implement(tool, implementation) types the implementation from the tool's zod schema. The `@ts-expect-error` lines
 * are the proof: `npm run typecheck` fails if a misspelt input field, a wrong field type or a wrong compensation
 * result ever compiles again.
 */
import { z } from 'zod';
import { defineTool } from '../../src/tools/define';
import { implement, type ToolImplementations } from '../../src/index';

const addNote = defineTool({
  name: 'add_note',
  description: 'Pins a note.',
  input: z.object({ text: z.string(), pinned: z.boolean().default(true) }),
  risk: 'reversible',
  compensation: 'remove_note',
});

test('an implementation typed from its tool runs with the parsed input', async () => {
  const seen: string[] = [];
  const tools: ToolImplementations = {
    add_note: implement(addNote, {
      run: async ({ text, pinned }) => {
        // The parsed (output) type: `pinned` has its default, so it is a boolean, never undefined.
        const flag: boolean = pinned;
        seen.push(`${text}:${flag}`);
        return { text };
      },
      compensate: async ({ text }) => (text ? 'compensated' : 'not_needed'),
    }),
  };
  await tools.add_note.run({ text: 'lunch', pinned: true }, {} as never);
  expect(seen).toEqual(['lunch:true']);
});

test('an implementation without run() is refused, naming the tool', () => {
  expect(() => implement(addNote, {} as never)).toThrow('implement(add_note): the implementation needs a run(input, ctx) function');
});

test('misspelt fields and wrong types do not compile', () => {
  const misspelt = implement(addNote, {
    // @ts-expect-error `txt` is not a field of add_note's input
    run: async ({ txt }) => txt,
  });
  const wrongType = implement(addNote, {
    run: async ({ text }) => {
      // @ts-expect-error `text` is a string
      const count: number = text;
      return count;
    },
  });
  const wrongResult = implement(addNote, {
    run: async () => null,
    // @ts-expect-error a compensation says 'compensated' or 'not_needed'
    compensate: async () => 'undone',
  });
  expect([misspelt, wrongType, wrongResult].every((implementation) => typeof implementation.run === 'function')).toBe(true);
});
