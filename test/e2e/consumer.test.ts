/**
 * The packed package in a fresh project: `npm pack`, `npm install` of the tarball in a directory outside this
 * repository, the README's example written there as that project's own files (agent, tools, workflows, worker),
 * its types checked, its worker run as a child process on the test server, and runs started, watched and
 * approved with the installed `sagent` CLI. Nothing here loads our source tree: it proves what a user installs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  cleanEnv,
  createConsumerProjects,
  mustRun,
  pinnedVersion,
  readmeExample,
  run,
  startService,
  type ConsumerProject,
  type Ran,
  type Service,
} from './consumer-project';

// A pack that builds dist/, two installs side by side (the lowest and the newest @temporalio), a typecheck and a few runs.
jest.setTimeout(600_000);

/** The consumer's scripted "Claude", from the installed `sagent/testing`; the runs are routed by workflow id. */
const MODEL_SERVER = `import { startModelServer, type Scenario } from 'sagent/testing';

const scenarios: Scenario[] = [
  {
    name: 'desk-delegates-to-notes',
    match: { runIdPrefix: 'desk-', runIdSuffix: '/notes' },
    turns: [
      { content: [{ type: 'tool_use', name: 'add_note', input: { text: 'Desk moves to room 4' } }] },
      { content: [{ type: 'text', text: 'Pinned.' }] },
    ],
  },
  {
    name: 'desk',
    match: { runIdPrefix: 'desk-' },
    turns: [
      { content: [{ type: 'tool_use', name: 'delegate_notes', input: { task: 'Pin: desk moves to room 4' } }] },
      { content: [{ type: 'tool_use', name: 'memory_search_nodes', input: { query: 'desk' } }] },
      { content: [{ type: 'text', text: 'The board has it, and the graph knows nothing of desks yet.' }] },
    ],
  },
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

/**
 * A second agent of the consumer's own, with both a sub-agent (the README's notes agent) and an MCP server
 * (server-memory over stdio), on a worker of its own task queue.
 */
const DESK_FILES = {
  'desk-agent.ts': `import { defineAgent } from 'sagent/workflow';

export const deskAgent = defineAgent({
  name: 'desk',
  description: 'Runs the front desk.',
  system: 'You run the front desk.',
  tools: [],
  delegates: [{ agent: 'notes', description: 'Keeps the team notes board.' }],
  mcpServers: ['memory'],
  // MCP tools ask by default, reads too: the one read this desk makes runs without a person.
  policy: { rules: [{ id: 'graph-reads', tools: ['memory_search_nodes'], verdict: 'allow' }] },
});
`,
  'desk-workflows.ts': `import { createAgentSaga } from 'sagent/workflow';
import { notesAgent } from './agent';
import { deskAgent } from './desk-agent';

export const agentSaga = createAgentSaga([notesAgent, deskAgent]);
`,
  'desk-worker.ts': `import { connectWorkerConnection, createSagentWorker, resolveConnection } from 'sagent';
import { notesAgent } from './agent';
import { deskAgent } from './desk-agent';
import { notesTools } from './tools';

async function run() {
  const config = resolveConnection();
  const connection = await connectWorkerConnection(config);
  const worker = await createSagentWorker({
    connection,
    namespace: config.namespace,
    agents: [{ agent: notesAgent, tools: notesTools }, { agent: deskAgent, tools: {} }],
    mcpServers: [
      {
        name: 'memory',
        command: process.execPath,
        args: [require.resolve('@modelcontextprotocol/server-memory/dist/index.js')],
        env: { MEMORY_FILE_PATH: process.env.MEMORY_FILE ?? 'memory.jsonl' },
      },
    ],
    workflowsPath: require.resolve('./desk-workflows'),
  });
  console.log(\`worker ready on task queue \${worker.options.taskQueue}\`);
  await worker.run();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
`,
};

const NOTE = 'Standup moves to 10:00';
/** A worker bundles its workflows before it is ready: under a minute alone, minutes on a machine busy with others. */
const WORKER_READY_MS = 300_000;

/** The Temporal packages sagent takes as peers; the consumer installs them itself. */
const TEMPORAL_PACKAGES = ['activity', 'client', 'common', 'envconfig', 'plugin', 'worker', 'workflow'].map((name) => `@temporalio/${name}`);
/** The lowest and the newest `@temporalio/*` the peer range `^1.23.0` is proven with (README: "Peer dependencies"). */
const LOWEST_TEMPORAL = '1.23.0';
const NEWEST_TEMPORAL = '1.24.0';

/** Every installed copy of a package in the project's node_modules, at any depth, as `name@version` by path. */
async function copiesOf(dir: string, names: (name: string) => boolean): Promise<Record<string, string[]>> {
  const copies: Record<string, string[]> = {};
  const walk = async (modules: string): Promise<void> => {
    const entries = await fs.readdir(modules, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const folders = entry.name.startsWith('@')
        ? (await fs.readdir(path.join(modules, entry.name))).map((scoped) => path.join(modules, entry.name, scoped))
        : [path.join(modules, entry.name)];
      for (const folder of folders) {
        const manifest = await fs.readFile(path.join(folder, 'package.json'), 'utf8').then(JSON.parse, () => undefined);
        if (manifest?.name && names(manifest.name)) (copies[manifest.name] ??= []).push(`${manifest.version} at ${path.relative(dir, folder)}`);
        await walk(path.join(folder, 'node_modules'));
      }
    }
  };
  await walk(path.join(dir, 'node_modules'));
  return copies;
}

/** One copy of each SDK: the Temporal packages, the Anthropic SDK, and the protobufjs the Temporal packages load. */
async function expectOneCopyOfEachSdk({ dir }: ConsumerProject, version: string): Promise<void> {
  const sdks = await copiesOf(dir, (name) => name.startsWith('@temporalio/') || name === '@anthropic-ai/sdk');
  for (const [name, copies] of Object.entries(sdks)) expect({ name, copies }).toEqual({ name, copies: [expect.any(String)] });
  for (const name of TEMPORAL_PACKAGES) expect(sdks[name]?.[0]).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')} at node_modules/`));
  // regression: two protobufjs copies inside the Temporal packages broke `sagent history` ("type must be a Type").
  const script =
    "const r = (from) => require.resolve('protobufjs', { paths: [require.resolve(from)] }); console.log(JSON.stringify(['@temporalio/proto', '@temporalio/common', '@temporalio/worker'].map(r)))";
  const resolved = JSON.parse((await mustRun(process.execPath, ['-e', script], { cwd: dir })).stdout) as string[];
  expect(new Set(resolved).size).toBe(1);
}

let project: ConsumerProject;
/** The same project at the newest @temporalio, installed beside the first. */
let newest: ConsumerProject;
let model: Service | undefined;
let worker: Service | undefined;
let cliEnv: NodeJS.ProcessEnv;
let notesFile: string;

beforeAll(async () => {
  const example = await readmeExample();
  expect(Object.keys(example).sort()).toEqual(['agent.ts', 'tools.ts', 'tsconfig.json', 'worker.ts', 'workflows.ts']);
  // The project brings its own SDKs, the Temporal ones at the lowest version sagent supports, and again at the newest.
  const own = ['@anthropic-ai/sdk', 'zod', 'tsx', 'typescript', '@types/node', '@modelcontextprotocol/sdk', '@modelcontextprotocol/server-memory'];
  const ownPinned = await Promise.all(own.map(pinnedVersion));
  const files = { ...example, ...DESK_FILES, 'model-server.ts': MODEL_SERVER };
  const at = (version: string) => ({ dependencies: [...TEMPORAL_PACKAGES.map((name) => `${name}@${version}`), ...ownPinned], files });
  [project, newest] = await createConsumerProjects([at(LOWEST_TEMPORAL), at(NEWEST_TEMPORAL)]);
  // The example and the test kit compile against the shipped declarations with the README's tsconfig.json.
  await mustRun(project.bin('tsc'), ['-p', '.'], { cwd: project.dir, timeoutMs: 300_000 });
  await expectOneCopyOfEachSdk(project, LOWEST_TEMPORAL);

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
    timeoutMs: WORKER_READY_MS,
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
  return sagentIn(project, cliEnv, args);
}

/** The CLI installed in `at`, run there with `env`. */
function sagentIn(at: ConsumerProject, env: NodeJS.ProcessEnv, args: string[]): Promise<Ran> {
  return run(at.bin('sagent'), args, { cwd: at.dir, env, timeoutMs: 300_000 });
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

  // The installed CLI decodes the history with the consumer's one copy of the Temporal SDK and of protobufjs.
  const history = await sagent('history', id);
  expect({ code: history.code, why: describeRun(history) }).toMatchObject({ code: 0 });
  expect(JSON.parse(history.stdout).events.length).toBeGreaterThan(5);
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
}, 600_000);

/** The callId of the run's pending approval, from `sagent status --json`, once the run asks. */
async function pendingCallId(id: string): Promise<string> {
  const deadline = Date.now() + 240_000;
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

// regression: an agent with both `delegates` and `mcpServers` failed every workflow task ("declares tool twice").
test('an agent with both a sub-agent and an MCP server runs both and completes (exit 0)', async () => {
  const deskEnv = { ...cliEnv, SAGENT_TASK_QUEUE: `${cliEnv.SAGENT_TASK_QUEUE}-desk` };
  const desk = await startService(process.execPath, ['-r', 'tsx/cjs', 'desk-worker.ts'], {
    cwd: project.dir,
    env: { ...deskEnv, ANTHROPIC_BASE_URL: model!.ready[1], NOTES_FILE: notesFile, MEMORY_FILE: path.join(project.dir, 'memory.jsonl') },
    ready: /worker ready on task queue (\S+)/,
    timeoutMs: WORKER_READY_MS,
  });
  try {
    const id = `desk-${randomUUID().slice(0, 8)}`;
    const started = await sagentIn(project, deskEnv, ['start', '--agent', 'desk', '--task', 'Move the desk', '--id', id, '--wait', '--json']);
    expect({ code: started.code, why: `${describeRun(started)}\ndesk worker: ${desk.output().slice(-3000)}` }).toMatchObject({ code: 0 });
    const outcome = JSON.parse(started.stdout);
    expect(outcome.status).toBe('completed');
    expect(outcome.finalText).toContain('graph knows nothing of desks');
    expect(Object.values(await notes())).toContain('Desk moves to room 4');
  } finally {
    await desk.stop();
  }
}, 600_000);

test(`at the newest @temporalio (${NEWEST_TEMPORAL}) the project still holds one copy of each SDK, and a run completes`, async () => {
  await expectOneCopyOfEachSdk(newest, NEWEST_TEMPORAL);
  // Its own task queue and notes board, so no worker at the lowest version can take the run.
  const newestEnv = { ...cliEnv, SAGENT_TASK_QUEUE: `${cliEnv.SAGENT_TASK_QUEUE}-newest` };
  const newestWorker = await startService(process.execPath, ['-r', 'tsx/cjs', 'worker.ts'], {
    cwd: newest.dir,
    env: { ...newestEnv, ANTHROPIC_BASE_URL: model!.ready[1], NOTES_FILE: path.join(newest.dir, 'notes.json') },
    ready: /worker ready on task queue (\S+)/,
    timeoutMs: WORKER_READY_MS,
  });
  try {
    expect(newestWorker.ready[1]).toBe(newestEnv.SAGENT_TASK_QUEUE);
    const id = `undo-${randomUUID().slice(0, 8)}`;
    const started = await sagentIn(newest, newestEnv, ['start', '--agent', 'notes', '--task', 'Pin the lunch plan', '--id', id, '--wait', '--json']);
    expect({ code: started.code, why: `${describeRun(started)}\nnewest worker: ${newestWorker.output().slice(-3000)}` }).toMatchObject({ code: 2 });
    expect(JSON.parse(started.stdout).status).toBe('compensated');
  } finally {
    await newestWorker.stop();
  }
}, 600_000);
