/**
 * The API report check fails when the public API and the committed report disagree, and passes when they match:
 * it runs `scripts/api-report.mjs` on the `sagent` entry against a copy of etc/ (one copy untouched, one with a name
 * taken out of the report, as if that name had been added to the API without `npm run api:update`). The documentation
 * check (`scripts/api-docs.mjs`, which the report check runs on every entry point) fails on an export without JSDoc
 * and on an optional option without its `@default`, shown on fixture declarations.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// Emitting the declarations (incremental after `npm run lint`) and four API Extractor analyses on a busy machine.
jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const exec = promisify(execFile);

async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  try {
    const ran = await exec(process.execPath, args, { cwd: ROOT, env });
    return { code: 0, output: ran.stdout + ran.stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

const checkAgainst = (reports: string) => run(['scripts/api-report.mjs', '--entry', 'sagent'], { ...process.env, SAGENT_API_REPORT_DIR: reports });

let scratch: string;
beforeAll(async () => {
  await exec('npm', ['run', 'api:dts'], { cwd: ROOT });
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-api-'));
});
afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

test('the committed reports match the public API', async () => {
  const reports = path.join(scratch, 'same');
  await fs.cp(path.join(ROOT, 'etc'), reports, { recursive: true });
  const { code, output } = await checkAgainst(reports);
  expect({ code, output }).toMatchObject({ code: 0, output: expect.stringContaining('sagent: matches') });
});

test('an API that differs from its report fails the check, naming the entry point and the fix', async () => {
  const reports = path.join(scratch, 'changed');
  await fs.cp(path.join(ROOT, 'etc'), reports, { recursive: true });
  const report = path.join(reports, 'sagent.api.md');
  const text = await fs.readFile(report, 'utf8');
  const withoutImplement = text.replace(/^export function implement<[^\n]*\n/m, '');
  expect(withoutImplement).not.toBe(text);
  await fs.writeFile(report, withoutImplement);

  const { code, output } = await checkAgainst(reports);
  expect(code).toBe(1);
  expect(output).toContain('sagent: its API differs from etc/sagent.api.md');
  expect(output).toContain('npm run api:update');
});

describe('the documentation check', () => {
  const DOCUMENTED = [
    '/** Starts a widget. */',
    'export declare function startWidget(options: WidgetOptions): void;',
    '/** How a widget starts. */',
    'export interface WidgetOptions {',
    '  /** Its name. */',
    '  name: string;',
    '  /** Its size in pixels. @default 16 */',
    '  size?: number;',
    '}',
    "/** A widget's limits: every field is a knob. */",
    'export interface WidgetLimits {',
    '  /** @default 3 */',
    '  maxWidgets: number;',
    '}',
    '',
  ].join('\n');

  async function docsOf(name: string, declarations: string) {
    const file = path.join(scratch, name);
    await fs.writeFile(file, declarations);
    return run(['scripts/api-docs.mjs', file]);
  }

  test('passes declarations where every export has JSDoc and every knob its @default', async () => {
    expect(await docsOf('documented.d.ts', DOCUMENTED)).toEqual({ code: 0, output: '' });
  });

  test('fails on an export without JSDoc, naming it', async () => {
    const { code, output } = await docsOf('bare-export.d.ts', DOCUMENTED.replace('/** Starts a widget. */\n', ''));
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/bare-export\.d\.ts: startWidget: no JSDoc$/)]);
  });

  test('fails on an optional option without @default, and on a settings field without one', async () => {
    const { code, output } = await docsOf('no-default.d.ts', DOCUMENTED.replace(' @default 16', '').replace('/** @default 3 */', '/** At most this many. */'));
    expect(code).toBe(1);
    expect(output).toContain('WidgetOptions.size: a knob with no @default');
    expect(output).toContain('WidgetLimits.maxWidgets: a knob with no @default');
    expect(output).not.toContain('WidgetOptions.name');
  });

  test('the report check runs it: an undocumented export fails `npm run api:check`, and --update does not pass it', async () => {
    const dts = path.join(scratch, 'dts');
    await fs.mkdir(dts, { recursive: true });
    await fs.writeFile(path.join(dts, 'cli.d.ts'), DOCUMENTED.replace('/** Starts a widget. */\n', ''));
    for (const args of [[], ['--update']]) {
      const { code, output } = await run(['scripts/api-report.mjs', '--entry', 'sagent/cli', '--dts', dts, ...args], {
        ...process.env,
        SAGENT_API_REPORT_DIR: path.join(scratch, 'widget-reports'),
      });
      expect(code).toBe(1);
      expect(output).toContain('sagent/cli: startWidget: no JSDoc');
      expect(output).toContain('sagent/cli: 1 undocumented');
    }
  });
});
