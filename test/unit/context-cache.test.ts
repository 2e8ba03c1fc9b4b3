/** The worker-side context cache: one entry per run, the newest turn's, held as the text the workflow offered, bounded. */
import type { WorkflowInfo } from '@temporalio/workflow';
import { ContextCache } from '../../src/activities/context-cache';
import { contextText } from '../../src/shared/activity-io';
import type { MessageParam } from '../../src/shared/wire';

const context = (text: string): MessageParam[] => [{ role: 'user', content: [{ type: 'text', text }] }];
const offered = (text: string) => contextText(context(text));

describe('ContextCache', () => {
  it('hands over the offered turn once asked, and counts the hit', () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 3, offered('turn 3'));
    expect(cache.take('wf', 'run', 3)).toEqual({ turn: 3, messages: context('turn 3') });
    expect(cache.stats()).toEqual({ hits: 1, misses: 0, held: 1 });
  });

  it('misses another turn, another run of the same workflow, and an unknown run', () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run-1', 3, offered('turn 3'));
    expect(cache.take('wf', 'run-1', 4)).toBeUndefined();
    expect(cache.take('wf', 'run-2', 3)).toBeUndefined();
    expect(cache.take('other', 'run-1', 3)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 3 });
  });

  it("keeps only a run's newest turn", () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 1, offered('turn 1'));
    cache.offer('wf', 'run', 2, offered('turn 2'));
    expect(cache.take('wf', 'run', 1)).toBeUndefined();
    expect(cache.take('wf', 'run', 2)?.messages).toEqual(context('turn 2'));
    expect(cache.stats().held).toBe(1);
  });

  it('keeps the entry for a retry until the call succeeds, and a release of an older turn leaves a newer one', () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 5, offered('turn 5'));
    expect(cache.take('wf', 'run', 5)).toBeDefined();
    expect(cache.take('wf', 'run', 5)).toBeDefined();
    cache.release('wf', 'run', 4);
    expect(cache.stats().held).toBe(1);
    cache.release('wf', 'run', 5);
    expect(cache.take('wf', 'run', 5)).toBeUndefined();
    expect(cache.stats().held).toBe(0);
  });

  it("hands out a new copy on every take: a change to one call's messages does not reach a retry", () => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 1, offered('original'));
    const first = cache.take('wf', 'run', 1)!;
    (first.messages[0].content as { text: string }[])[0].text = 'changed by the first attempt';
    expect(cache.take('wf', 'run', 1)!.messages).toEqual(context('original'));
  });

  it.each([
    ['text that is not JSON', '{"messages": ['],
    ['JSON without messages', '{"turn": 1}'],
    ['messages that are not a list', '{"messages": "hi"}'],
    ['tools that are not a list', '{"messages": [], "mcpTools": {}}'],
    ['null', 'null'],
  ])('sends the call to the query for an offer of %s, and drops it', (_, text) => {
    const cache = new ContextCache();
    cache.offer('wf', 'run', 1, text);
    expect(cache.take('wf', 'run', 1)).toBeUndefined();
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, held: 0 });
  });

  it('keeps an offer from the sink as text, from a bundle that sends objects as well', () => {
    const cache = new ContextCache();
    const info = (runId: string) => ({ workflowId: 'wf', runId }) as WorkflowInfo;
    const sink = cache.sink().offer.fn;
    sink(info('text'), 1, offered('as text'));
    sink(info('objects'), 2, context('as objects'), []);
    expect(cache.take('wf', 'text', 1)).toEqual({ turn: 1, messages: context('as text') });
    expect(cache.take('wf', 'objects', 2)).toEqual({ turn: 2, messages: context('as objects'), mcpTools: [] });
  });

  it('holds at most maxRuns runs, dropping the least recently offered', () => {
    const cache = new ContextCache(2);
    cache.offer('a', 'run', 1, offered('a'));
    cache.offer('b', 'run', 1, offered('b'));
    cache.offer('a', 'run', 2, offered('a2'));
    cache.offer('c', 'run', 1, offered('c'));
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
    cache.offer('wf', 'mcp-run', 1, contextText(context('x'), tools as never));
    cache.offer('wf', 'plain-run', 1, offered('y'));
    expect(cache.take('wf', 'mcp-run', 1)?.mcpTools).toEqual(tools);
    expect(cache.take('wf', 'plain-run', 1)).not.toHaveProperty('mcpTools');
  });

  it('refuses a size that is not a whole number of at least 1, saying what to pass', () => {
    expect(() => new ContextCache(0)).toThrow('contextCache.maxRuns must be a whole number of at least 1, got 0');
    expect(() => new ContextCache(1.5)).toThrow('got 1.5');
  });
});
