// The sandbox fence: deterministic code (and the agents' sandbox-safe definitions) may not import Node
// built-ins, the Temporal packages that only run outside a workflow, or the Anthropic SDK as a value.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `${name}/*`, `node:${name}`, `node:${name}/*`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.sagent/**', 'coverage/**', 'test/artifacts/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/shared/**/*.ts', 'src/tools/**/*.ts', 'src/policies/**/*.ts', 'src/workflows/**/*.ts', 'src/agents/index.ts', 'src/agents/*/agent.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'workflow sandbox: no Node built-ins here' })),
            ...['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'].map((name) => ({
              name,
              message: 'workflow sandbox: only @temporalio/workflow and @temporalio/common here',
              allowTypeImports: true,
            })),
            { name: '@anthropic-ai/sdk', message: 'workflow sandbox: the SDK runs in activities only', allowTypeImports: true },
          ],
          patterns: [
            { group: ['**/activities', '**/activities/*', '**/models/*', '**/dev/*', '**/services/*', '**/worker', '**/client'], message: 'workflow sandbox: Node-side code', allowTypeImports: true },
            { group: ['**/agents/implementations', '**/agents/*/tools', './tools'], message: 'workflow sandbox: tool implementations run on the worker', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
