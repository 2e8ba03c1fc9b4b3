/**
 * The API report check fails when the public API and the committed report disagree, and passes when they match:
 * it runs `scripts/api-report.mjs` on the `sagent` entry against a copy of etc/ (one copy untouched, one with a name
 * taken out of the report, as if that name had been added to the API without `npm run api:update`).
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

async function checkAgainst(reports: string): Promise<{ code: number; output: string }> {
  try {
    const ran = await exec(process.execPath, ['scripts/api-report.mjs', '--entry', 'sagent'], { cwd: ROOT, env: { ...process.env, SAGENT_API_REPORT_DIR: reports } });
    return { code: 0, output: ran.stdout + ran.stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

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
