// Two fences. The sandbox fence: deterministic code (and the agents' sandbox-safe definitions) may not import Node
// built-ins, the Temporal packages that only run outside a workflow, or the Anthropic SDK as a value. The demo fence:
// the core never imports the demo, and the demo's agents and their tools use sagent only through its public entry
// points (the demo's driver, worker and codec set-up are the project's own code and may use its internals).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `${name}/*`, `node:${name}`, `node:${name}/*`]);

const SANDBOX_FILES = ['src/workflow.ts', 'src/shared/**/*.ts', 'src/tools/**/*.ts', 'src/policies/**/*.ts', 'src/workflows/**/*.ts'];
const DEMO_SANDBOX_FILES = ['src/demo/workflows.ts', 'src/demo/agents/index.ts', 'src/demo/agents/*/agent.ts'];

const sandboxPaths = [
  ...nodeBuiltins.map((name) => ({ name, message: 'workflow sandbox: no Node built-ins here' })),
  ...['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'].map((name) => ({
    name,
    message: 'workflow sandbox: only @temporalio/workflow and @temporalio/common here',
    allowTypeImports: true,
  })),
  { name: '@anthropic-ai/sdk', message: 'workflow sandbox: the SDK runs in activities only', allowTypeImports: true },
];
const sandboxPatterns = [
  {
    group: [
      '**/activities',
      '**/activities/*',
      '**/models/*',
      '**/dev/*',
      '**/services/*',
      '**/worker',
      '**/client',
      '**/operations',
      '**/operations/*',
      '**/index',
      '**/testing',
      '**/temporal/*',
      '**/cli',
      '**/cli/*',
      '**/mcp/*',
    ],
    message: 'workflow sandbox: Node-side code (import sagent/workflow, not sagent)',
    allowTypeImports: true,
  },
  { group: ['**/agents/implementations', '**/agents/*/tools'], message: 'workflow sandbox: tool implementations run on the worker', allowTypeImports: true },
  { regex: '^\\./tools$', message: 'workflow sandbox: tool implementations run on the worker', allowTypeImports: true },
];
/** The core never reaches into the demo: it is an app built on sagent, not part of it. */
const coreKnowsNoDemo = [{ regex: '(^|/)demo(/|$)', message: 'the core knows no demo: nothing outside src/demo imports it' }];
/** The demo's agents are written as a user writes them: `../index` (sagent), `../workflow` (sagent/workflow), `../testing`, `../cli` only. */
const demoUsesEntryPoints = [
  {
    regex: '^(\\.\\./)+((activities|client|operations|dev|models|observability|policies|shared|temporal|tools|workflows|codec)(/|$)|cli/|eval/)',
    message: "the demo's agents use sagent through its entry points only: src/index.ts, src/workflow.ts, src/testing.ts, src/cli.ts, src/eval/index.ts",
  },
];
const restrict = (paths, patterns) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/peer/**', '.sagent/**', 'coverage/**', 'test/artifacts/**', 'bench/results/**', 'chaos/results/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Type-aware: a promise nobody awaits loses its rejection (and, in a workflow, its ordering).
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'chaos/**/*.ts', 'deploy/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  { files: ['src/**/*.ts'], ignores: ['src/demo/**'], rules: restrict([], coreKnowsNoDemo) },
  { files: SANDBOX_FILES, rules: restrict(sandboxPaths, [...sandboxPatterns, ...coreKnowsNoDemo]) },
  { files: ['src/demo/agents/**/*.ts'], rules: restrict([], demoUsesEntryPoints) },
  { files: DEMO_SANDBOX_FILES, rules: restrict(sandboxPaths, [...sandboxPatterns, ...demoUsesEntryPoints]) },
);
