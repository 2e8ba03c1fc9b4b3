/**
 * `sagent eval` on the real test server: a broken expectation fails the suite and is named; a changed tool
 * description that makes the scripted model call another tool is a regression against the baseline; a replay of
 * recorded runs is the same on unchanged code and differs after a deliberate change.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { main } from '../../src/cli/main';
import { SagentClient } from '../../src/client';
import { loadScenarios } from '../../src/dev/scenario';
import { scenarios as evalScenarios } from '../../src/demo/evals/scenarios';
import type { EvalReport } from '../../src/eval';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { CHANGED_SEARCH_FLIGHTS } from '../helpers/eval-changed-agent';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const DEMO_ENVIRONMENT = path.join(ROOT, 'src/demo/evals/environment.ts');
const CHANGED_ENVIRONMENT = path.join(ROOT, 'test/helpers/eval-changed-agent.ts');
const WEATHER = 'What is the weather forecast in Lisbon today?';

let harness: Harness;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  harness = await startHarness('eval', [...evalScenarios, ...loadScenarios(path.join(ROOT, 'src/demo/scenarios'))]);
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: harness.temporal.address,
    TEMPORAL_NAMESPACE: harness.temporal.namespace,
    SAGENT_TASK_QUEUE: harness.taskQueue,
    SAGENT_SERVICES_URL: harness.services.url,
    NO_COLOR: '1',
  };
  delete env.ANTHROPIC_API_KEY;
  delete env.SAGENT_DEBUG;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagent-eval-test-'));
});
afterAll(() => harness?.stop());

async function sagent(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const code = await main(['node', 'sagent', ...args], { stdout, stderr, stdin: new PassThrough(), env });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

/** A demo suite rewritten into the scratch directory: its environment made absolute, then changed by `edit`. */
function suiteFrom(demoSuite: string, name: string, edit: (suite: any) => void): string {
  const suite = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/demo/evals', demoSuite), 'utf8'));
  suite.environment = DEMO_ENVIRONMENT;
  edit(suite);
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(suite, null, 2));
  return file;
}

it('refuses a suite with a bad field, naming it, before it runs anything', async () => {
  const file = suiteFrom('travel.json', 'bad.json', (suite) => {
    suite.cases[1].expect[0] = { status: 'done' };
  });
  const ran = await sagent('eval', file);
  expect(ran.code).toBe(1);
  expect(ran.stderr).toMatch(/^error: suite .*bad\.json: cases\[1\]\.expect\[0\]\.status: /m);
  expect(ran.stdout).toBe('');
});

it('fails the suite on a broken expectation and names it, while the untouched cases pass', async () => {
  const file = suiteFrom('adversarial.json', 'broken.json', (suite) => {
    suite.cases = suite.cases.filter((c: { name: string }) => c.name === 'tool-fails-mid-run' || c.name === 'skip-approval-request');
    // Broken on purpose: the run rolls back when the car rental fails, so it cannot end completed.
    suite.cases.find((c: { name: string }) => c.name === 'tool-fails-mid-run').expect[0] = { status: 'completed' };
    // A case whose scenario does not exist fails alone, and says so.
    suite.cases.push({ name: 'no-such-scenario', task: 'What is the weather in Lisbon?', scenario: 'no-such', expect: [{ status: 'completed' }] });
  });
  const report = path.join(dir, 'broken-report.json');
  const ran = await sagent('eval', file, '--json', report);
  expect(ran.stderr).not.toMatch(/^error:/m);
  expect(ran.code).toBe(1);
  expect(ran.stdout).toMatch(/tool-fails-mid-run\s+failed\s.*status completed: ended compensated/);
  expect(ran.stdout).toMatch(/skip-approval-request\s+passed/);
  expect(ran.stdout).toMatch(/no-such-scenario\s+failed\s.*run: scenario: no scenario named "no-such" \(known: .*eval-tool-picker/);
  expect(ran.stdout).toMatch(/3 case\(s\): 1 without a failed gate, 2 failed/);
  const written = JSON.parse(fs.readFileSync(report, 'utf8')) as EvalReport;
  const broken = written.cases.find((c) => c.name === 'tool-fails-mid-run')!;
  expect(broken.expectations.filter((e) => !e.passed).map((e) => e.label)).toEqual(['status completed']);
  // The rest of the case held: the bookings were undone, as the services' own rows say.
  expect(broken.expectations.find((e) => e.label === 'compensated book_flight,book_hotel')).toMatchObject({ passed: true });
  expect(broken.runs[0].calls).toEqual(['book_flight', 'book_hotel', 'rent_car', 'abort']);
});

it('reports a changed tool description that makes the model call another tool as a regression, and exits non-zero', async () => {
  const weatherOnly = (suite: any) => {
    suite.cases = suite.cases.filter((c: { name: string }) => c.name === 'weather-question');
  };
  const before = suiteFrom('travel.json', 'weather.json', weatherOnly);
  const baseline = path.join(dir, 'baseline.json');
  const first = await sagent('eval', before, '--json', baseline);
  expect(first.stdout).toMatch(/weather-question\s+passed/);
  expect(first.code).toBe(0);

  const after = suiteFrom('travel.json', 'weather-changed.json', (suite) => {
    weatherOnly(suite);
    suite.agents = { travel: { tools: { search_flights: { description: CHANGED_SEARCH_FLIGHTS } } } };
  });
  const second = await sagent('eval', after, '--baseline', baseline);
  // The scores fell short (scored, not failed): only the baseline makes it a failure.
  expect(second.stdout).toMatch(/weather-question\s+scored\s.*called get_weather: never called get_weather; called search_flights/);
  expect(second.stdout).toMatch(/worse\s+travel\/weather-question: verdict passed → scored/);
  expect(second.stdout).toMatch(/worse\s+travel\/weather-question: called get_weather 1\.00 → 0\.00/);
  expect(second.stdout).toMatch(/worse\s+travel\/weather-question: notCalled search_flights 1\.00 → 0\.00: called search_flights/);
  expect(second.stdout).toMatch(/0 failed, 3 regression\(s\)/);
  expect(second.code).toBe(1);

  // The same suite against its own report: nothing changed, exit 0.
  const third = await sagent('eval', before, '--baseline', baseline);
  expect(third.stdout).toMatch(/travel: no change/);
  expect(third.code).toBe(0);
});

it('replays recorded runs: the same on unchanged code, a different trajectory after a deliberate change', async () => {
  const client = new SagentClient({ client: harness.client, namespace: harness.temporal.namespace, taskQueue: harness.taskQueue });
  const ids = [`pick-${Date.now().toString(36)}`, `slice-${Date.now().toString(36)}`];
  await Promise.all([
    harness.start(ids[0], { agent: 'travel', task: WEATHER }).then(outcomeOf),
    harness.start(ids[1], { agent: 'travel', task: 'What is the weather in Lisbon?' }).then(outcomeOf),
  ]);
  const files = await Promise.all(
    ids.map(async (id) => {
      const file = path.join(dir, `${id}.json`);
      fs.writeFileSync(file, historyToJSON(await client.history(id)));
      return file;
    }),
  );

  // From the namespace, by a visibility query, on the worker of the harness (today's code, unchanged).
  const query = `WorkflowId = '${ids[0]}' OR WorkflowId = '${ids[1]}'`;
  await waitUntilListed(query, 2);
  const same = await sagent('eval', '--replay', query);
  expect(same.stdout).toMatch(/2 run\(s\) replayed: 2 the same, 0 different/);
  expect(same.code).toBe(0);

  // From the exported files, on code whose search_flights description changed, with the recorded tool results.
  const changed = await sagent('eval', '--replay', ...files, '--environment', CHANGED_ENVIRONMENT, '--tool-results');
  expect(changed.stderr).not.toMatch(/^error:/m);
  expect(changed.stdout).toMatch(new RegExp(`${ids[0]}\\s+differs\\s.*trajectory: call 1 was get_weather, now search_flights`));
  // The other run's scripted model does not read descriptions: it does the same again.
  expect(changed.stdout).toMatch(new RegExp(`${ids[1]}\\s+same`));
  expect(changed.stdout).toMatch(/2 run\(s\) replayed: 1 the same, 1 different/);
  expect(changed.code).toBe(1);
});

async function waitUntilListed(query: string, count: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    let seen = 0;
    for await (const execution of harness.client.workflow.list({ query: `(${query}) AND ExecutionStatus != 'Running'` })) if (execution) seen++;
    if (seen >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the visibility store never listed ${count} runs for ${query}`);
}
