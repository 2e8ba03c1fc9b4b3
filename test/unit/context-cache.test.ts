/** The worker-side context cache: one entry per run, the newest turn's, copied in only when workflows share the heap, bounded. */
import { ContextCache } from '../../src/activities/context-cache';
import type { MessageParam } from '../../src/shared/wire';

const context = (text: string): MessageParam[] => [{ role: 'user', content: [{ type: 'text', text }] }];

describe('ContextCache', () => {
  it('hands over the offered turn once asked, and counts the hit', () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 3, context('turn 3'));
    expect(cache.take('wf', 'run', 3)).toEqual({ turn: 3, messages: context('turn 3') });
    expect(cache.stats()).toEqual({ hits: 1, misses: 0, held: 1 });
  });

  it('misses another turn, another run of the same workflow, and an unknown run', () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run-1', 3, context('turn 3'));
    expect(cache.take('wf', 'run-1', 4)).toBeUndefined();
    expect(cache.take('wf', 'run-2', 3)).toBeUndefined();
    expect(cache.take('other', 'run-1', 3)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 3 });
  });

  it("keeps only a run's newest turn", () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 1, context('turn 1'));
    cache.offer('wf', 'run', 2, context('turn 2'));
    expect(cache.take('wf', 'run', 1)).toBeUndefined();
    expect(cache.take('wf', 'run', 2)?.messages).toEqual(context('turn 2'));
    expect(cache.stats().held).toBe(1);
  });

  it('keeps the entry for a retry until the call succeeds, and a release of an older turn leaves a newer one', () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 5, context('turn 5'));
    expect(cache.take('wf', 'run', 5)).toBeDefined();
    expect(cache.take('wf', 'run', 5)).toBeDefined();
    cache.release('wf', 'run', 4);
    expect(cache.stats().held).toBe(1);
    cache.release('wf', 'run', 5);
    expect(cache.take('wf', 'run', 5)).toBeUndefined();
    expect(cache.stats().held).toBe(0);
  });

  it("copies an offer while workflows share the heap (debug mode): the workflow's later changes do not reach it", () => {
    const cache = new ContextCache();
    const offered = context('original');
    cache.offer('wf', 'run', 1, offered);
    (offered[0].content as { text: string }[])[0].text = 'changed by the workflow later';
    expect(cache.take('wf', 'run', 1)!.messages).toEqual(context('original'));
  });

  it('keeps an offer as it came when sink calls arrive copied (workflows on threads), and hands out the entry itself', () => {
    const cache = new ContextCache();
    cache.copyOffers = false;
    const offered = context('as sent');
    cache.offer('wf', 'run', 1, offered);
    const taken = cache.take('wf', 'run', 1)!;
    expect(taken.messages).toBe(offered);
    expect(cache.take('wf', 'run', 1)).toBe(taken);
  });

  it('holds at most maxRuns runs, dropping the least recently offered', () => {
    const cache = new ContextCache(2);
    cache.offer('a', 'run', 1, context('a'));
    cache.offer('b', 'run', 1, context('b'));
    cache.offer('a', 'run', 2, context('a2'));
    cache.offer('c', 'run', 1, context('c'));
    expect(cache.stats().held).toBe(2);
    expect(cache.take('b', 'run', 1)).toBeUndefined();
    expect(cache.take('a', 'run', 2)?.messages).toEqual(context('a2'));
    expect(cache.take('c', 'run', 1)?.messages).toEqual(context('c'));
  });

  it("carries the run's MCP tools with the context, and none for a run without them", () => {
    const cache = new ContextCache();
    const tools = [
      {
        server: 'memory',
        tool: 'read_graph',
        name: 'memory_read_graph',
        description: 'Reads',
        inputSchema: { type: 'object' },
        annotations: {},
        risk: 'read',
        riskReason: 'readOnlyHint',
      },
    ];
    cache.offer('wf', 'mcp-run', 1, context('x'), tools as never);
    cache.offer('wf', 'plain-run', 1, context('y'));
    expect(cache.take('wf', 'mcp-run', 1)?.mcpTools).toEqual(tools);
    expect(cache.take('wf', 'plain-run', 1)).not.toHaveProperty('mcpTools');
  });

  it('refuses a size that is not a whole number of at least 1, saying what to pass', () => {
    expect(() => new ContextCache(0)).toThrow('contextCache.maxRuns must be a whole number of at least 1, got 0');
    expect(() => new ContextCache(1.5)).toThrow('got 1.5');
  });
});
