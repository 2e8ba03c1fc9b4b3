/**
 * The fences in eslint.config.mjs fire: the core never imports the demo, the demo's agents use sagent only through
 * its entry points (the demo's driver may use internals), and sandbox code imports no Node built-in. Each case is
 * linted as text at a path inside the project (nothing is written to disk) through ESLint's Node API, in a child
 * process: ESLint loads its flat config with a dynamic import, which Jest's module sandbox refuses.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

// Loading ESLint and typescript-eslint in a fresh process: a few seconds, more on a busy machine.
jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

const CASES = {
  coreImportsDemo: { file: 'src/cli/x.ts', code: "import { createDemoWorker } from '../demo/worker';\nexport const worker = createDemoWorker;\n" },
  demoImportsInternal: { file: 'src/demo/agents/x.ts', code: "import { Output } from '../cli/io';\nexport const output = Output;\n" },
  demoDriverImportsInternal: { file: 'src/demo/x.ts', code: "import { Output } from '../cli/io';\nexport const output = Output;\n" },
  sandboxImportsNode: { file: 'src/workflows/x.ts', code: "import fs from 'node:fs';\nexport const read = fs.readFileSync;\n" },
  demoImportsEntryPoints: {
    file: 'src/demo/agents/x.ts',
    code:
      "import { SagentClient } from '../index';\nimport { defineTool } from '../workflow';\nimport { startModelServer } from '../testing';\n" +
      'export const used = [SagentClient, defineTool, startModelServer];\n',
  },
};
type Case = keyof typeof CASES;

const LINT_SCRIPT = `
import { ESLint } from 'eslint';
const cases = JSON.parse(process.env.CASES);
// The cases are not on disk, so the project service cannot type them; the fences need no types.
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
});
const out = {};
for (const [name, { file, code }] of Object.entries(cases)) {
  const [result] = await eslint.lintText(code, { filePath: file });
  out[name] = result.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}
process.stdout.write(JSON.stringify(out));
`;

let reported: Record<Case, Array<{ ruleId: string | null; message: string }>>;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', LINT_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, CASES: JSON.stringify(CASES) },
    maxBuffer: 10 * 1024 * 1024,
  });
  reported = JSON.parse(stdout);
});

/** The restricted-import messages of one case. */
function fences(name: Case): string[] {
  return reported[name].filter((message) => message.ruleId === '@typescript-eslint/no-restricted-imports').map((message) => message.message);
}

test('a core file importing the demo is reported', () => {
  expect(fences('coreImportsDemo')).toEqual([expect.stringContaining('the core knows no demo')]);
});

test("the demo's agents importing a core internal is reported", () => {
  expect(fences('demoImportsInternal')).toEqual([expect.stringContaining("the demo's agents use sagent through its entry points only")]);
});

test('a sandbox file importing a Node built-in is reported', () => {
  expect(fences('sandboxImportsNode')).toEqual([expect.stringContaining('workflow sandbox: no Node built-ins here')]);
});

test('the demo importing the public entry points is not reported, nor anything else', () => {
  expect(reported.demoImportsEntryPoints).toEqual([]);
  expect(reported.demoDriverImportsInternal).toEqual([]);
});
