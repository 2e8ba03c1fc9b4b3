/**
 * The level TypeScript workflow code is compiled to: the SDK's bundler compiles `.ts` to ES2017, which turns object
 * spreads, optional chains and async generators into helper calls; bundles built the way sagent builds them (its
 * plugin, `sagentBundleOptions`) run the native forms, as sagent's own package does. Bundled with the SDK's real
 * bundler, with and without the hook, so a change of the bundler's rules shows here.
 */
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';
import { z } from 'zod';
import { createAnthropicClient } from '../../src/models/anthropic';
import { defineAgent, defineTool } from '../../src/tools/define';
import { SagentPlugin, sagentBundleOptions, sagentWebpackConfigHook, WORKFLOW_CODE_TARGET } from '../../src/worker';

const workflowsPath = path.join(__dirname, '../fixtures/bundle-target/workflows.ts');

/** The compiled form of the workflow file alone, out of the whole bundle. */
async function compiled(options: Partial<BundleOptions>): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR'), ...options });
  const start = code.indexOf('function spreadAndChain');
  expect(start).toBeGreaterThan(-1);
  return code.slice(start, start + 1500);
}

test('the SDK alone compiles the workflow code to helper calls', async () => {
  const code = await compiled({});
  expect(code).toMatch(/_object_spread|_async_generator|_wrap_async_generator/);
});

test(`sagentBundleOptions compiles it to ${WORKFLOW_CODE_TARGET}: native spreads, optional chains and async generators`, async () => {
  const code = await compiled(sagentBundleOptions(workflowsPath));
  expect(code).not.toMatch(/_object_spread|_async_generator|_wrap_async_generator/);
  expect(code).toContain('...input.rest');
  expect(code).toContain('input.a?.b');
  expect(code).toContain('async function* numbers');
});

test("the plugin's bundle raises the level and then runs the worker's own hook, which may set another", () => {
  const plugin = new SagentPlugin({
    agents: [
      {
        agent: defineAgent({
          name: 'glossary',
          description: 'Looks words up.',
          system: 'Look words up.',
          tools: [defineTool({ name: 'look_up', description: 'Looks a word up.', input: z.object({ word: z.string() }), risk: 'read' })],
        }),
        tools: { look_up: { run: async () => ({ content: 'a word' }) } },
      },
    ],
    anthropic: createAnthropicClient({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' }),
    breakerBoard: false,
  });
  const seen: string[] = [];
  const own: BundleOptions['webpackConfigHook'] = (config) => {
    const rule = (config.module?.rules ?? []).find(
      (entry) => typeof entry === 'object' && entry && String((entry as { test?: unknown }).test) === String(/\.ts$/),
    ) as { use: { options: { jsc: { target: string } } } };
    seen.push(rule.use.options.jsc.target);
    rule.use.options.jsc.target = 'es2020';
    return config;
  };
  const hook = plugin.configureBundler({ workflowsPath: 'workflows.ts', webpackConfigHook: own }).webpackConfigHook!;
  const config = hook({
    module: {
      rules: [
        { test: /\.js$/, use: ['source-map-loader'] },
        { test: /\.ts$/, use: { loader: '/x/swc-loader/index.js', options: { jsc: { target: 'es2017' } } } },
      ],
    },
  });
  expect(seen).toEqual([WORKFLOW_CODE_TARGET]);
  expect((config.module!.rules![1] as { use: { options: { jsc: { target: string } } } }).use.options.jsc.target).toBe('es2020');
  // A bundler with rules of another shape is left as it is.
  const other = { module: { rules: [{ test: /\.ts$/, use: [{ loader: 'ts-loader' }] }] } };
  expect(sagentWebpackConfigHook()(structuredClone(other))).toEqual(other);
});
