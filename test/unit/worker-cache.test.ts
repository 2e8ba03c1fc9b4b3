/**
 * The sticky cache of a sagent worker: bounded by default, so a fleet of runs waiting for a person cannot grow the
 * worker past its memory (the rest are evicted and replayed when their decision comes); a worker's own
 * `maxCachedWorkflows` wins, and a size the SDK would refuse is refused with what to fix. Its context cache copies
 * what workflows offer only when they share its heap (debug mode).
 */
import { z } from 'zod';
import { createAnthropicClient } from '../../src/models/anthropic';
import { defineAgent, defineTool } from '../../src/tools/define';
import { DEFAULT_MAX_CACHED_RUNS, SagentPlugin, type SagentPluginOptions } from '../../src/worker';

const lookUp = defineTool({ name: 'look_up', description: 'Looks a word up.', input: z.object({ word: z.string() }), risk: 'read' });
const agent = defineAgent({ name: 'glossary', description: 'Looks words up.', system: 'Look words up.', tools: [lookUp] });

function plugin(options: Partial<SagentPluginOptions> = {}): SagentPlugin {
  return new SagentPlugin({
    agents: [{ agent, tools: { look_up: { run: async () => ({ content: 'a word' }) } } }],
    // Never called: the plugin only needs a client to build its activities.
    anthropic: createAnthropicClient({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' }),
    breakerBoard: false,
    ...options,
  });
}

test('a sagent worker caches DEFAULT_MAX_CACHED_RUNS runs unless told otherwise', () => {
  expect(DEFAULT_MAX_CACHED_RUNS).toBe(500);
  expect(plugin().configureWorker({ taskQueue: 'q' }).maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_RUNS);
  expect(plugin({ maxCachedRuns: 50 }).configureWorker({ taskQueue: 'q' }).maxCachedWorkflows).toBe(50);
});

test("the worker's own maxCachedWorkflows wins over the plugin's", () => {
  expect(plugin({ maxCachedRuns: 50 }).configureWorker({ taskQueue: 'q', maxCachedWorkflows: 0 }).maxCachedWorkflows).toBe(0);
  expect(plugin().configureWorker({ taskQueue: 'q', maxCachedWorkflows: 3000 }).maxCachedWorkflows).toBe(3000);
});

test.each([1, 2.5, -3, Number.NaN])('maxCachedRuns %p is refused with what to fix', (maxCachedRuns) => {
  expect(() => plugin({ maxCachedRuns })).toThrow(/maxCachedRuns: a whole number of runs, at least 2/);
});
