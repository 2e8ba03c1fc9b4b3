/** The tool framework: contradictory declarations fail at load time, defaults are applied, agents get `abort`. */
import { z } from 'zod';
import { abortTool, changesWorld, defineAgent, defineTool, isCompensable, type ToolSpec } from '../../src/tools/define';

const input = z.object({ city: z.string() });

function spec(overrides: Partial<ToolSpec<{ city: string }>> = {}): ToolSpec<{ city: string }> {
  return { name: 'search_hotels', description: 'Find hotels in a city', input, risk: 'read', ...overrides };
}

describe('defineTool', () => {
  it('applies the documented defaults', () => {
    const tool = defineTool(spec());
    expect(tool).toEqual({
      name: 'search_hotels',
      description: 'Find hotels in a city',
      input,
      risk: 'read',
      critical: false,
      timeoutMs: 30_000,
      maxAttempts: 5,
      maxResultBytes: 8192,
      maxInputBytes: 16_384,
      strict: false,
    });
  });

  it('keeps values the spec gives over the defaults', () => {
    const tool = defineTool(spec({ critical: true, timeoutMs: 5_000, maxAttempts: 1, maxResultBytes: 100, maxInputBytes: 200, strict: true }));
    expect(tool).toMatchObject({ critical: true, timeoutMs: 5_000, maxAttempts: 1, maxResultBytes: 100, maxInputBytes: 200, strict: true });
  });

  it('keeps the default when the spec passes undefined for an option', () => {
    const tool = defineTool(spec({ timeoutMs: undefined, maxAttempts: undefined }));
    expect(tool.timeoutMs).toBe(30_000);
    expect(tool.maxAttempts).toBe(5);
  });

  it('returns a frozen declaration', () => {
    expect(Object.isFrozen(defineTool(spec()))).toBe(true);
  });

  it.each(['', 'has space', 'dots.not.allowed', 'é', 'x'.repeat(65), 'slash/name'])('rejects the name %j', (name) => {
    expect(() => defineTool(spec({ name }))).toThrow(`tool name "${name}" must match`);
  });

  it.each(['a', 'book_hotel', 'cancel-flight', 'Tool42', 'x'.repeat(64)])('accepts the name %j', (name) => {
    expect(defineTool(spec({ name })).name).toBe(name);
  });

  it('rejects a reversible tool without a compensation', () => {
    expect(() => defineTool(spec({ name: 'book_hotel', risk: 'reversible' }))).toThrow('tool "book_hotel" is reversible but declares no compensation');
    expect(() => defineTool(spec({ name: 'book_hotel', risk: 'reversible', compensation: '' }))).toThrow('declares no compensation');
  });

  it('rejects an irreversible tool with a compensation', () => {
    expect(() => defineTool(spec({ name: 'send_email', risk: 'irreversible', compensation: 'unsend_email' }))).toThrow(
      'tool "send_email" is irreversible and cannot declare a compensation',
    );
  });

  it('rejects a read tool with a compensation', () => {
    expect(() => defineTool(spec({ compensation: 'unsearch' }))).toThrow('tool "search_hotels" only reads and needs no compensation');
  });

  it('rejects reconcile or repeatable on a read tool: they apply to tools that change the world', () => {
    expect(() => defineTool(spec({ reconcile: 'check' }))).toThrow(
      'tool "search_hotels" only reads: reconcile and repeatable apply to tools that change the world',
    );
    expect(() => defineTool(spec({ repeatable: true }))).toThrow(/only reads/);
    expect(defineTool(spec({ risk: 'reversible', compensation: 'cancel', reconcile: 'none', repeatable: true }))).toMatchObject({
      reconcile: 'none',
      repeatable: true,
    });
  });

  it('accepts a privileged tool with or without a compensation', () => {
    expect(isCompensable(defineTool(spec({ name: 'charge_card', risk: 'privileged', compensation: 'refund_card' })))).toBe(true);
    expect(isCompensable(defineTool(spec({ name: 'grant_access', risk: 'privileged' })))).toBe(false);
  });

  it('says which tools change the world', () => {
    expect(changesWorld(defineTool(spec()))).toBe(false);
    expect(changesWorld(defineTool(spec({ risk: 'reversible', compensation: 'cancel' })))).toBe(true);
    expect(changesWorld(defineTool(spec({ risk: 'irreversible' })))).toBe(true);
  });
});

describe('defineAgent', () => {
  const search = defineTool(spec());
  const book = defineTool(spec({ name: 'book_hotel', description: 'Book a hotel', risk: 'reversible', compensation: 'cancel_hotel' }));

  it('adds the abort tool after the declared tools', () => {
    const agent = defineAgent({ name: 'travel', description: 'Books trips', system: 'You book trips.', tools: [search, book] });
    expect(agent.tools.map((tool) => tool.name)).toEqual(['search_hotels', 'book_hotel', 'abort']);
    expect(Object.keys(agent.toolsByName)).toEqual(['search_hotels', 'book_hotel', 'abort']);
    expect(agent.toolsByName.abort).toBe(abortTool);
    expect(agent.toolsByName.book_hotel).toBe(book);
    expect(Object.isFrozen(agent)).toBe(true);
  });

  it('declares abort as a read-only control tool that needs a reason', () => {
    expect(abortTool).toMatchObject({ name: 'abort', risk: 'read', control: 'abort_saga' });
    expect(abortTool.input.safeParse({ reason: 'payment declined' }).success).toBe(true);
    expect(abortTool.input.safeParse({ reason: '' }).success).toBe(false);
    expect(abortTool.input.safeParse({}).success).toBe(false);
  });

  it('rejects a tool declared twice', () => {
    expect(() => defineAgent({ name: 'travel', description: 'd', system: 's', tools: [search, book, search] })).toThrow(
      'agent "travel" declares tool "search_hotels" twice',
    );
  });

  it('rejects an agent tool named abort, which would clash with the built-in one', () => {
    const ownAbort = defineTool(spec({ name: 'abort' }));
    expect(() => defineAgent({ name: 'travel', description: 'd', system: 's', tools: [ownAbort] })).toThrow('agent "travel" declares tool "abort" twice');
  });
});
