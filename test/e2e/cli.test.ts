/**
 * The `sagent` CLI against the real test server, a real worker, the demo services and the scripted model. Most
 * commands run in-process through `main` (fast); the error paths run the real binary as a child process, since
 * what a user sees there (exit code, one line, no stack) is the point.
 */
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { loadScenarios } from '../../src/dev/scenario';
import type { RunState } from '../../src/shared/contracts';
import { startHarness, type Harness } from '../helpers/harness';

// About 12 s on an idle 2-core machine; the margin is for machines busy with other work.
jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');
const UI = 'http://ui.test:8233';
const LISBON =
  'Book a trip to Lisbon for Ada Lovelace from London, 2026-05-14 to 2026-05-17: flight, hotel and car; charge card 4242 4242 4242 4242 and email ada@example.com.';
const PORTO = 'Book a trip to Porto for Grace Hopper from London, 2026-06-03 to 2026-06-06: flight, hotel and car; charge card 4000 0000 0000 0002.';

let harness: Harness;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  harness = await startHarness('cli', loadScenarios(path.join(ROOT, 'src/demo/scenarios')));
  env = {
    ...process.env,
    TEMPORAL_ADDRESS: harness.temporal.address,
    TEMPORAL_NAMESPACE: harness.temporal.namespace,
    SAGENT_TASK_QUEUE: harness.taskQueue,
    SAGENT_UI_URL: UI,
    SAGENT_SERVICES_URL: harness.services.url,
    NO_COLOR: '1',
  };
  delete env.SAGENT_DEBUG;
});
afterAll(() => harness?.stop());

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sagent <args>` in this process, with piped (non-TTY) output. */
async function sagent(...args: string[]): Promise<Ran> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const code = await main(['node', 'sagent', ...args], { stdout, stderr, stdin: new PassThrough(), env });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

/** Runs the real binary, as a user would. */
function sagentProcess(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/sagent.js'), ...args], { cwd: ROOT, env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function expectOneLineError(ran: Ran, pattern: RegExp): void {
  expect(ran.code).toBe(1);
  const lines = ran.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(ran.stderr).not.toMatch(/\n\s+at /);
}

async function startTrip(id: string, task: string): Promise<void> {
  const started = await sagent('start', '--agent', 'travel', '--task', task, '--id', id, '--approver', 'alice', '--json');
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({ workflowId: id, uiUrl: `${UI}/namespaces/default/workflows/${id}` });
}

async function pausedAt(id: string, callId: string): Promise<RunState> {
  return harness.waitFor(harness.client.workflow.getHandle(id), (state) => state.pendingApprovals.some((p) => p.callId === callId));
}

const unique = (name: string) => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe('errors a user sees: one line, exit 1, no stack', () => {
  test("an unknown agent is refused by the run itself, listing the worker's agents", async () => {
    const ran = await sagentProcess(['start', '--agent', 'nope', '--task', 'anything']);
    expectOneLineError(
      ran,
      /^error: the run refused its input: unknown agent "nope"; this worker's agents: travel, support, trip, payments, notes, forecast, scout, concierge, errands$/,
    );
  });

  test('a tool the agent does not have is refused by the run, listing its tools', async () => {
    const ran = await sagent('start', '--agent', 'travel', '--task', 'anything', '--allow-tool', 'book_train');
    expectOneLineError(ran, /^error: the run refused its input: allowedTools: agent travel has no tool book_train; its tools: get_weather, /);
  });

  test('an unknown run id names the id and the namespace', async () => {
    const ran = await sagentProcess(['status', 'no-such-run-42']);
    expectOneLineError(ran, /^error: no run "no-such-run-42" in namespace default: check the id \(sagent pending lists waiting runs\)$/);
  });

  test('an unreachable server says how to start one', async () => {
    const ran = await sagentProcess(['status', 'whatever'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expectOneLineError(ran, /^error: cannot reach Temporal at 127\.0\.0\.1:1 .*npm run dev:server/);
  });

  // regression: a closed pipe crashed the CLI with an unhandled EPIPE and a stack trace.
  test('`sagent start … --wait | head -1` exits quietly when the reader goes away', async () => {
    const id = unique('cli-pipe');
    const cli = `"${process.execPath}" "${path.join(ROOT, 'bin/sagent.js')}"`;
    const script = `${cli} start --agent travel --task "What is the weather in Lisbon today?" --id ${id} --wait 2>"$ERR" | head -1; echo "exit=\${PIPESTATUS[0]}"; cat "$ERR"`;
    const ran = await new Promise<Ran>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...env, ERR: path.join(require('node:os').tmpdir(), `${id}.err`) } });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: '' }));
    });
    const [first, exit, ...rest] = ran.stdout.trim().split('\n');
    expect(first).toContain(id);
    expect(exit).toBe('exit=0');
    expect(rest.join('\n')).not.toMatch(/EPIPE|\n\s+at /);
  });

  test('invalid input is refused with the field to fix', async () => {
    const ran = await sagent('start', '--agent', 'travel', '--task', '   ');
    expectOneLineError(ran, /^error: invalid run input: task: the task is empty$/);
  });
});

describe('a read-only run', () => {
  const id = unique('cli-slice');

  test('start --wait --json follows the run to a completed outcome', async () => {
    const ran = await sagent('start', '--agent', 'travel', '--task', 'What is the weather in Lisbon today?', '--id', id, '--wait', '--json');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    const outcome = JSON.parse(ran.stdout);
    expect(outcome).toMatchObject({ workflowId: id, status: 'completed', steps: 2, effects: [], uiUrl: `${UI}/namespaces/default/workflows/${id}` });
    expect(outcome.finalText).toContain('weather in Lisbon');
  });

  test('status --json prints exactly the documented object', async () => {
    const ran = await sagent('status', id, '--json');
    expect(ran.code).toBe(0);
    const status = JSON.parse(ran.stdout);
    expect(Object.keys(status).sort()).toEqual(
      [
        'workflowId',
        'agent',
        'status',
        'statusDetail',
        'steps',
        'usage',
        'pendingApprovals',
        'effects',
        'rejectedAttempts',
        'version',
        'workflowTaskFailure',
        'waitingForTurn',
        'models',
        'source',
        'uiUrl',
      ].sort(),
    );
    expect(Object.keys(status.usage).sort()).toEqual(['costUsd', 'inputTokens', 'outputTokens']);
    // The run's one model answered every turn: its usage is the run's, with no switch.
    expect(Object.keys(status.models.usage)).toHaveLength(1);
    expect(status.models).toMatchObject({ switches: 0, fallbacks: 0 });
    // The test worker is unversioned, and its runs advance.
    expect(status).toMatchObject({ version: null, workflowTaskFailure: null });
    expect(status).toMatchObject({ workflowId: id, agent: 'travel', status: 'completed', steps: 2, pendingApprovals: [], effects: [] });
    expect(status.usage.costUsd).toBeGreaterThan(0);
    expect(status.usage.inputTokens).toBeGreaterThan(0);
    expect(status.usage.outputTokens).toBeGreaterThan(0);
  });

  test('an id is never reused', async () => {
    const ran = await sagent('start', '--agent', 'travel', '--task', 'What is the weather in Porto?', '--id', id);
    expectOneLineError(ran, /already exists .*ids are never reused/);
  });

  test('history prints the event history as JSON', async () => {
    const ran = await sagent('history', id);
    expect(ran.code).toBe(0);
    const history = JSON.parse(ran.stdout);
    expect(history.events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(history.events.at(-1).eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
  });
});

describe('the happy trip, decided from the CLI', () => {
  const id = unique('cli-happy');
  let argsHash: string;

  beforeAll(async () => {
    await startTrip(id, LISBON);
    await pausedAt(id, 'call-4');
  });

  test('status --json shows the pending call with exactly the documented fields', async () => {
    const ran = await sagent('status', id, '--json');
    expect(ran.code).toBe(0);
    const status = JSON.parse(ran.stdout);
    expect(status.status).toBe('awaiting_approval');
    expect(status.pendingApprovals).toHaveLength(1);
    expect(Object.keys(status.pendingApprovals[0]).sort()).toEqual(['argsHash', 'callId', 'expiresAt', 'input', 'requestedAt', 'tool']);
    expect(status.effects.map((e: { tool: string; state: string }) => [e.tool, e.state])).toEqual([
      ['book_flight', 'committed'],
      ['book_hotel', 'committed'],
      ['rent_car', 'committed'],
    ]);
    for (const effect of status.effects) expect(Object.keys(effect).sort()).toEqual(['compensation', 'effectId', 'state', 'tool']);
  });

  test('pending --json lists the paused charge', async () => {
    // The workflow list is eventually consistent: poll briefly.
    let listed: Array<{ workflowId: string; callId: string; tool: string; argsHash: string; input: { amountCents: number } }> = [];
    for (let attempt = 0; attempt < 40 && !listed.some((call) => call.workflowId === id); attempt++) {
      const ran = await sagent('pending', '--json');
      expect(ran.code).toBe(0);
      listed = JSON.parse(ran.stdout);
      if (!listed.some((call) => call.workflowId === id)) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const call = listed.find((candidate) => candidate.workflowId === id);
    expect(call).toMatchObject({ callId: 'call-4', tool: 'charge_card', input: { amountCents: 41250 } });
    argsHash = call!.argsHash;
    expect(argsHash).toMatch(/^[0-9a-f]{16,}$/);
  });

  test('approve is refused for a hash the person did not see, and the call stays pending', async () => {
    const ran = await sagent('approve', id, 'call-4', '--as', 'alice', '--expect-hash', 'deadbeefdeadbeef');
    expectOneLineError(ran, /^error: argsHash of call-4 is [0-9a-f]{12}, not deadbeefdeadbeef: the call is not the one you reviewed/);
    const state = await pausedAt(id, 'call-4');
    expect(state.approvals).toEqual([]);
  });

  test('approve is refused for an unknown call, a bad --edit and an approver the run does not allow', async () => {
    expectOneLineError(
      await sagent('approve', id, 'call-9', '--as', 'alice'),
      /^error: call call-9 is not pending in run .*: pending calls: call-4 \(charge_card\)$/,
    );
    expectOneLineError(await sagent('approve', id, 'call-4', '--as', 'alice', '--edit', '{amount:'), /^error: --edit is not valid JSON/);
    expectOneLineError(
      await sagent('approve', id, 'call-4', '--as', 'mallory'),
      /^error: the run refused the decision: mallory may not approve this run \(allowed: alice\)$/,
    );
    const state = await pausedAt(id, 'call-4');
    expect(state.approvals).toEqual([]);
  });

  test('approve with the hash from pending lets the charge run', async () => {
    const ran = await sagent('approve', id, 'call-4', '--as', 'alice', '--expect-hash', argsHash.slice(0, 12), '--reason', 'looks right');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^approved call-4 \(charge_card\) in .* as alice via update/);
    await pausedAt(id, 'call-5');
  });

  test('a signalled decision the run refuses is reported from its recorded attempt', async () => {
    const ran = await sagent('approve', id, 'call-5', '--as', 'mallory', '--signal');
    expectOneLineError(ran, /^error: the run refused the signalled decision .*: mallory may not approve this run/);
  });

  test('the refused signal shows in status, as text and in --json, with who and why', async () => {
    const text = await sagent('status', id);
    expect(text.code).toBe(0);
    // Both of mallory's attempts: the update refused earlier, then the signal.
    expect(text.stdout).toMatch(
      /\n  refused attempts \(2, oldest first\):\n {4}\d\d:\d\d:\d\d {2}approval update from mallory for call-4: [^\n]*\n {4}\d\d:\d\d:\d\d {2}approval signal from mallory for call-5: mallory may not approve this run \(allowed: alice\)\n/,
    );

    const json = await sagent('status', id, '--json');
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.status).toBe('awaiting_approval');
    expect(status.rejectedAttempts.map((a: { via: string; callId: string }) => [a.via, a.callId])).toEqual([
      ['update', 'call-4'],
      ['signal', 'call-5'],
    ]);
    expect(status.rejectedAttempts[1]).toEqual({
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      via: 'signal',
      approver: 'mallory',
      callId: 'call-5',
      why: 'mallory may not approve this run (allowed: alice)',
      code: expect.stringMatching(/^ApprovalRefused\./),
      message: null,
    });
    // The refusal decided nothing: the email still waits.
    expect(status.pendingApprovals.map((p: { callId: string }) => p.callId)).toEqual(['call-5']);
  });

  test('reject --signal gets the rejection to Claude, and the run still completes', async () => {
    const ran = await sagent('reject', id, 'call-5', '--as', 'alice', '--reason', 'do not email the client yet', '--signal');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^rejected call-5 \(send_email\) in .* as alice via signal/);

    const result = await sagent('result', id, '--json');
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.status).toBe('completed');
    expect(outcome.approvals.map((a: { callId: string; decision: string }) => [a.callId, a.decision])).toEqual([
      ['call-4', 'approve'],
      ['call-5', 'reject'],
    ]);
    // What Claude was shown for the email: an error result carrying the approver's reason.
    const lastTurn = harness.model.requests.filter((request) => request.runId === id).at(-1)!;
    const messages = (lastTurn.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const results = messages.at(-1)!.content as Array<{ type: string; is_error?: boolean; content: string }>;
    const rejection = results.find((block) => block.type === 'tool_result' && block.is_error);
    expect(JSON.parse(rejection!.content)).toMatchObject({ error: 'approval_rejected', reason: 'do not email the client yet' });
  });

  test("watch's timeline shows the refused signal next to the accepted decisions", async () => {
    const ran = await sagent('watch', id);
    expect(ran.code).toBe(0);
    const lines = ran.stdout.split('\n');
    const refused = lines.findIndex((line) => / ✗ approval +refused approval signal from mallory \(call-5\) · mallory may not approve this run/.test(line));
    expect(refused).toBeGreaterThan(-1);
    // The accepted rejection comes after it and looks different.
    const accepted = lines.findIndex((line, index) => index > refused && /approval .*send_email/.test(line) && !line.includes('mallory'));
    expect(accepted).toBeGreaterThan(refused);
  });
});

describe('the unlucky trip', () => {
  const id = unique('cli-unlucky');

  beforeAll(async () => {
    await startTrip(id, PORTO);
    await pausedAt(id, 'call-4');
    expect((await sagent('approve', id, 'call-4', '--as', 'alice')).code).toBe(0);
  });

  test('result exits 2 once the declined card rolled the bookings back', async () => {
    const ran = await sagent('result', id);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toMatch(/compensated .*4 effects, 3 undone/);
    expect(ran.stdout).toContain(`UI: ${UI}/namespaces/default/workflows/${id}`);
  });

  test('ledger --json shows every booking compensated, newest first, on both sides', async () => {
    const ran = await sagent('ledger', id, '--json');
    expect(ran.code).toBe(0);
    const ledger = JSON.parse(ran.stdout);
    expect(ledger.status).toBe('compensated');
    expect(ledger.effects.map((e: { effectId: string; tool: string; compensation: string }) => [e.effectId, e.tool, e.compensation])).toEqual([
      [`${id}/effect-1`, 'book_flight', 'compensated'],
      [`${id}/effect-2`, 'book_hotel', 'compensated'],
      [`${id}/effect-3`, 'rent_car', 'compensated'],
      [`${id}/effect-4`, 'charge_card', 'not_needed'],
    ]);
    for (const effect of ledger.effects.slice(0, 3)) expect(effect.service).toMatchObject({ state: 'undone', undo: { result: 'compensated' } });
    expect(ledger.undoOrder).toEqual([`${id}/effect-3`, `${id}/effect-2`, `${id}/effect-1`]);
  });

  test('watch on the closed run prints plain lines, the outcome and the UI link, and exits 2', async () => {
    const ran = await sagent('watch', id);
    expect(ran.code).toBe(2);
    expect(ran.stdout).not.toContain('\x1b[');
    expect(ran.stdout).toMatch(/compensation +undo rent_car[^\n]*\n[^\n]*undo book_hotel[^\n]*\n[^\n]*undo book_flight/);
    expect(ran.stdout).toContain(`UI: ${UI}/namespaces/default/workflows/${id}`);
  });
});

test('cancel rolls a paused run back and status then exits 2 with the effects undone', async () => {
  const id = unique('cli-cancel');
  await startTrip(id, LISBON);
  await pausedAt(id, 'call-4');
  const cancelled = await sagent('cancel', id, '--wait');
  expect(cancelled.code).toBe(2);
  expect(cancelled.stdout).toMatch(/cancelled/);
  const status = await sagent('status', id, '--json');
  expect(status.code).toBe(2);
  const json = JSON.parse(status.stdout);
  expect(json.status).toBe('cancelled');
  expect(json.effects.map((e: { compensation: string }) => e.compensation)).toEqual(['compensated', 'compensated', 'compensated']);
});
