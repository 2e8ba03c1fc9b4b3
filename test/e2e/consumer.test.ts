/**
 * The packed package in a fresh project: `npm pack`, `npm install` of the tarball in a directory outside this
 * repository, the README's example written there as that project's own files (agent, tools, workflows, worker),
 * its types checked, its worker run as a child process on the test server, and runs started, watched and
 * approved with the installed `sagent` CLI. Nothing here loads our source tree: it proves what a user installs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { cleanEnv, createConsumerProject, mustRun, pinnedVersion, readmeExample, run, startService, type ConsumerProject, type Ran, type Service } from './consumer-project';

// About 45 s on an idle 2-core machine (pack 5 s, install 10 s, typecheck 5 s, worker bundle 10 s, runs 10 s).
jest.setTimeout(240_000);

/** The consumer's scripted "Claude", from the installed `sagent/testing`; the runs are routed by workflow id. */
const MODEL_SERVER = `import { startModelServer, type Scenario } from 'sagent/testing';

const scenarios: Scenario[] = [
  {
    name: 'pin-then-give-up',
    match: { runIdPrefix: 'undo-' },
    turns: [
      { content: [{ type: 'tool_use', name: 'add_note', input: { text: 'Lunch at noon' } }] },
      { content: [{ type: 'tool_use', name: 'abort', input: { reason: 'lunch is cancelled' } }] },
    ],
  },
  {
    name: 'pin-then-read',
    match: { runIdPrefix: 'approve-' },
    respond: ({ turn, lastToolResults }) =>
      turn === 1
        ? { content: [{ type: 'tool_use', name: 'add_note', input: { text: 'Standup moves to 10:00' } }] }
        : turn === 2
          ? { content: [{ type: 'tool_use', name: 'list_notes', input: {} }] }
          : { content: [{ type: 'text', text: 'The board reads: ' + lastToolResults.map((result) => result.text).join(' ') }] },
  },
];

startModelServer({ scenarios }).then(
  (server) => console.log('model server at ' + server.url),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['*.ts'],
};

const NOTE = 'Standup moves to 10:00';

let project: ConsumerProject;
let model: Service | undefined;
let worker: Service | undefined;
let cliEnv: NodeJS.ProcessEnv;
let notesFile: string;

beforeAll(async () => {
  const example = await readmeExample();
  expect(Object.keys(example).sort()).toEqual(['agent.ts', 'tools.ts', 'worker.ts', 'workflows.ts']);
  const dependencies = await Promise.all(['zod', 'tsx', 'typescript', '@types/node'].map(pinnedVersion));
  project = await createConsumerProject({
    dependencies,
    files: { ...example, 'model-server.ts': MODEL_SERVER, 'tsconfig.json': JSON.stringify(TSCONFIG, null, 2) },
  });
  // The example and the test kit compile against the shipped declarations, with the classic `node` resolution too.
  await mustRun(project.bin('tsc'), ['-p', '.'], { cwd: project.dir });

  const address = process.env.SAGENT_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('SAGENT_TEST_TEMPORAL_ADDRESS is not set: run with jest (its globalSetup starts Temporal)');
  notesFile = path.join(project.dir, 'notes.json');
  cliEnv = cleanEnv({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: process.env.SAGENT_TEST_TEMPORAL_NAMESPACE ?? 'default',
    SAGENT_TASK_QUEUE: `consumer-${randomUUID().slice(0, 8)}`,
  });
  delete cliEnv.ANTHROPIC_API_KEY;

  const tsx = ['-r', 'tsx/cjs'];
  model = await startService(process.execPath, [...tsx, 'model-server.ts'], { cwd: project.dir, env: cliEnv, ready: /model server at (\S+)/ });
  worker = await startService(process.execPath, [...tsx, 'worker.ts'], {
    cwd: project.dir,
    env: { ...cliEnv, ANTHROPIC_BASE_URL: model.ready[1], NOTES_FILE: notesFile },
    ready: /worker ready on task queue (\S+)/,
  });
  expect(worker.ready[1]).toBe(cliEnv.SAGENT_TASK_QUEUE);
});

afterAll(async () => {
  await worker?.stop();
  await model?.stop();
  await project?.remove();
});

/** The installed CLI, as a user runs it from their project. */
function sagent(...args: string[]): Promise<Ran> {
  return run(project.bin('sagent'), args, { cwd: project.dir, env: cliEnv });
}

/** The board the consumer's tools keep: what they pinned, by idempotency key. */
async function notes(): Promise<Record<string, string>> {
  const text = await fs.readFile(notesFile, 'utf8').catch(() => '{}');
  return JSON.parse(text);
}

function describeRun(ran: Ran): string {
  return `exit ${ran.code}\nstdout: ${ran.stdout.slice(-3000)}\nstderr: ${ran.stderr.slice(-3000)}\nworker: ${worker?.output().slice(-3000)}`;
}

test('a run that gives up takes its note down again and ends compensated (exit 2)', async () => {
  const id = `undo-${randomUUID().slice(0, 8)}`;
  const started = await sagent('start', '--agent', 'notes', '--task', 'Pin the lunch plan', '--id', id, '--wait', '--json');
  expect({ code: started.code, why: describeRun(started) }).toMatchObject({ code: 2 });

  const outcome = JSON.parse(started.stdout);
  expect(outcome.status).toBe('compensated');
  // `compensated` (not `not_needed`) is what the tool's compensate() said on finding the note it pinned.
  expect(outcome.effects).toMatchObject([{ tool: 'add_note', state: 'committed', compensation: 'compensated' }]);
  expect(await notes()).toEqual({});
});

test('a call that needs approval waits, a stranger cannot approve it, the approver can, and the run completes (exit 0)', async () => {
  const id = `approve-${randomUUID().slice(0, 8)}`;
  const args = ['start', '--agent', 'notes', '--task', 'Pin: standup moves to 10:00', '--id', id];
  const finished = sagent(...args, '--require-approval', 'add_note', '--approver', 'you', '--wait', '--json');

  const callId = await pendingCallId(id);
  const stranger = await sagent('approve', id, callId, '--as', 'mallory');
  expect({ code: stranger.code, stderr: stranger.stderr }).toMatchObject({ code: 1, stderr: expect.stringContaining('mallory may not approve') });
  expect(Object.values(await notes())).not.toContain(NOTE);

  const approved = await sagent('approve', id, callId, '--as', 'you');
  expect({ code: approved.code, why: describeRun(approved) }).toMatchObject({ code: 0 });

  const ended = await finished;
  expect({ code: ended.code, why: describeRun(ended) }).toMatchObject({ code: 0 });
  const outcome = JSON.parse(ended.stdout);
  expect(outcome.status).toBe('completed');
  expect(outcome.effects).toMatchObject([{ tool: 'add_note', state: 'committed', compensation: 'registered' }]);
  expect(Object.values(await notes())).toEqual([NOTE]);
  // The read-only tool read the file the reversible one wrote, and Claude was shown it.
  expect(outcome.finalText).toContain(NOTE);
}, 120_000);

/** The callId of the run's pending approval, from `sagent status --json`, once the run asks. */
async function pendingCallId(id: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await sagent('status', id, '--json');
    if (status.code === 0) {
      const [pending] = JSON.parse(status.stdout).pendingApprovals as { callId: string; tool: string }[];
      if (pending) {
        expect(pending.tool).toBe('add_note');
        return pending.callId;
      }
    }
    if (Date.now() > deadline) throw new Error(`run ${id} never asked for an approval: ${describeRun(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
