/**
 * MCP tools as durable, validated, compensable activities, against real MCP servers from npm: the knowledge-graph
 * server (`@modelcontextprotocol/server-memory`) over stdio, behind a tap that logs what reaches it, and the
 * everything server (`@modelcontextprotocol/server-everything`) over Streamable HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario, TurnContext } from '../../src/dev/scenario';
import { freePorts } from '../../src/dev/ports';
import { EVERYTHING_ENTRY, memoryServerLaunch, type NotesServersOptions } from '../../src/demo/agents/notes/servers';
import { decideUpdate, getStateQuery, type RunOutcome } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';
import { startHarness, workflowBundle, type Harness } from '../helpers/harness';
import { waitUntil } from '../helpers/services';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagent-mcp-'));
const memoryFile = path.join(dir, 'memory.jsonl');
const tapLog = path.join(dir, 'tap.jsonl');
const TAP = path.join(__dirname, '..', 'helpers', 'mcp-tap.mjs');

/** The memory server behind the tap, so the test sees every request and its idempotency key. */
function tappedMemory(env: Record<string, string> = {}): NotesServersOptions['memory'] {
  const launch = memoryServerLaunch(memoryFile);
  return { command: process.execPath, args: [TAP, launch.command, ...launch.args], env: { ...launch.env, MCP_TAP_LOG: tapLog, ...env } };
}

type Entry = { method: string; name?: string; key?: string };
const tapped = (): Entry[] =>
  (fs.existsSync(tapLog) ? fs.readFileSync(tapLog, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
const callsOf = (tool: string) => tapped().filter((entry) => entry.method === 'tools/call' && entry.name === tool);

const entity = (name: string) => ({ entities: [{ name, entityType: 'person', observations: ['met at the conference'] }] });
const idOf = (ctx: TurnContext) => ctx.runId!.split('-').at(-1)!;
const use = (name: string, input: Record<string, unknown>) => ({ content: [{ type: 'tool_use' as const, name, input }] });
const done = (text: string) => ({ content: [{ type: 'text' as const, text }] });

/** Each test's run says what "Claude" does by its workflow id's prefix; the last part of the id names its entity. */
const notes: RespondingScenario = {
  name: 'mcp-notes',
  match: { runIdPrefix: 'mcp-' },
  respond(ctx) {
    const run = ctx.runId!;
    const who = `Ada-${idOf(ctx)}`;
    const script: Record<string, Array<ReturnType<typeof use>>> = {
      'mcp-read-': [use('memory_read_graph', {}), use('everything_echo', { message: 'hello over http' })],
      'mcp-undo-': [
        use('memory_create_entities', entity(who)),
        use('memory_add_observations', { observations: [{ entityName: who, contents: ['likes engines'] }] }),
        use('abort', { reason: 'the user withdrew the request' }),
      ],
      'mcp-approve-': [use('memory_create_entities', entity(who)), use('memory_delete_entities', { entityNames: [who] })],
      'mcp-http-approve-': [use('everything_toggle-simulated-logging', {})],
      'mcp-invalid-': [use('memory_create_entities', { entities: 'not a list' }), use('memory_no_such_tool', {})],
      'mcp-crash-': [use('memory_create_entities', entity(who))],
    };
    const prefix = Object.keys(script)
      .sort((a, b) => b.length - a.length)
      .find((candidate) => run.startsWith(candidate))!;
    return script[prefix][ctx.turn - 1] ?? done(`Done: ${JSON.stringify(ctx.lastToolResults.map((r) => [r.name, r.is_error, r.text.slice(0, 200)]))}`);
  },
};

let harness: Harness;
let everything: ChildProcess;
let everythingUrl: string;

beforeAll(async () => {
  const [port] = await freePorts(1);
  everything = spawn(process.execPath, [EVERYTHING_ENTRY, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    everything.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening')) resolve();
    });
    everything.once('exit', () => reject(new Error(`the everything server exited: ${stderr}`)));
  });
  everythingUrl = `http://127.0.0.1:${port}/mcp`;
  harness = await startHarness('mcp', [notes], { notes: { memory: tappedMemory(), everythingUrl } });
});

afterAll(async () => {
  await harness?.stop();
  everything?.kill();
});

const start = (prefix: string, task = 'Keep a note about Ada') =>
  harness.start(`${prefix}${randomUUID().slice(0, 8)}`, { agent: 'notes', task, approval: { approvers: ['ana'] } });

/** The knowledge graph as the memory server itself reads it from its file. */
async function readGraph(): Promise<{ entities: Array<{ name: string; observations: string[] }> }> {
  const client = new Client({ name: 'sagent-test', version: '0' });
  const launch = memoryServerLaunch(memoryFile);
  await client.connect(new StdioClientTransport({ ...launch, stderr: 'ignore' }));
  try {
    const result = (await client.callTool({ name: 'read_graph', arguments: {} })) as { content: Array<{ text: string }> };
    return JSON.parse(result.content[0].text);
  } finally {
    await client.close();
  }
}

async function approveNext(handle: WorkflowHandle, tool: string): Promise<void> {
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const [pending] = state.pendingApprovals;
  expect(pending.tool).toBe(tool);
  await handle.executeUpdate(decideUpdate, { args: [{ callId: pending.callId, argsHash: pending.argsHash, decision: 'approve', approver: 'ana' }] });
}

test("reads run in parallel without a ledger entry, over stdio and over HTTP; Claude is offered the servers' schemas", async () => {
  const handle = await start('mcp-read-');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects).toEqual([]);
  expect(outcome.finalText).toContain('Echo: hello over http');
  const state = await handle.query(getStateQuery);
  const titles = state.timeline.filter((t) => t.kind === 'tool').map((t) => t.title);
  expect(titles).toEqual(['mcp memory.read_graph · read', 'mcp everything.echo · read']);
  expect(state.timeline.filter((t) => t.kind === 'run').map((t) => t.title)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^mcp memory: \d+ tools offered$/), expect.stringMatching(/^mcp everything: \d+ tools offered$/)]),
  );
  const request = harness.model.requests.find((r) => r.runId === handle.workflowId);
  const tools = (request?.body as { tools: Array<{ name: string; input_schema: { properties?: object } }> }).tools;
  expect(tools.find((t) => t.name === 'memory_create_entities')?.input_schema.properties).toHaveProperty('entities');
  expect(tools.find((t) => t.name === 'everything_get-sum')?.input_schema.properties).toHaveProperty('a');
});

test("compensable MCP writes are rolled back newest-first when the saga fails; the server's graph is as before", async () => {
  const handle = await start('mcp-undo-');
  const outcome = (await handle.result()) as RunOutcome;
  await captureFixture(handle, 'mcp-rollback');
  expect(outcome.status).toBe('compensated');
  expect(outcome.effects.map((e) => [e.tool, e.state, e.undo, e.compensation])).toEqual([
    ['memory_create_entities', 'committed', 'delete_entities', 'compensated'],
    ['memory_add_observations', 'committed', 'delete_observations', 'compensated'],
  ]);
  const state = await handle.query(getStateQuery);
  const undone = state.timeline.filter((t) => t.kind === 'compensation').map((t) => t.title);
  expect(undone).toEqual(['undo mcp memory.add_observations (delete_observations) · effect 2', 'undo mcp memory.create_entities (delete_entities) · effect 1']);
  const id = handle.workflowId;
  // Every call reached the server with its effect id as the idempotency key, each undo with the forward key's.
  expect(callsOf('create_entities').map((c) => c.key)).toEqual([`${id}/effect-1`]);
  expect(callsOf('delete_observations').map((c) => c.key)).toEqual([`${id}/effect-2/undo`]);
  expect(
    callsOf('delete_entities')
      .filter((c) => c.key?.startsWith(id))
      .map((c) => c.key),
  ).toEqual([`${id}/effect-1/undo`]);
  const graph = await readGraph();
  expect(graph.entities.map((e) => e.name)).not.toContain(`Ada-${id.split('-').at(-1)}`);
});

test('a destructive MCP call waits for approval, then runs once', async () => {
  const handle = await start('mcp-approve-');
  await approveNext(handle, 'memory_delete_entities');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((e) => [e.tool, e.undo])).toEqual([
    ['memory_create_entities', 'delete_entities'],
    ['memory_delete_entities', null],
  ]);
  expect(callsOf('delete_entities').filter((c) => c.key === `${handle.workflowId}/effect-2`)).toHaveLength(1);
  expect((await readGraph()).entities.map((e) => e.name)).not.toContain(`Ada-${handle.workflowId.split('-').at(-1)}`);
});

test('an MCP tool without a read-only hint over HTTP is irreversible: it waits for approval', async () => {
  const handle = await start('mcp-http-approve-');
  const state = await harness.waitFor(handle, (s) => s.status === 'awaiting_approval');
  expect(state.pendingApprovals.map((p) => p.tool)).toEqual(['everything_toggle-simulated-logging']);
  await approveNext(handle, 'everything_toggle-simulated-logging');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects.map((e) => [e.tool, e.state, e.compensation])).toEqual([['everything_toggle-simulated-logging', 'committed', 'none']]);
  expect(outcome.finalText).toMatch(/logging/i);
});

test('invalid arguments and unknown tools become is_error results and never reach the server', async () => {
  const before = callsOf('create_entities').length;
  const handle = await start('mcp-invalid-');
  const outcome = (await handle.result()) as RunOutcome;
  expect(outcome.status).toBe('completed');
  expect(outcome.effects).toEqual([]);
  const results = JSON.parse(outcome.finalText!.replace(/^Done: /, '')) as Array<[string, boolean, string]>;
  expect(results).toEqual([['memory_no_such_tool', true, expect.stringContaining('unknown_tool')]]);
  const state = await handle.query(getStateQuery);
  expect(state.timeline.filter((t) => t.kind === 'tool')).toEqual([]);
  expect(callsOf('create_entities')).toHaveLength(before);
});

describe('a worker killed during an MCP write', () => {
  const taskQueue = `mcp-children-${randomUUID().slice(0, 8)}`;
  let worker: WorkerProcess | undefined;
  const startWorker = async () =>
    startWorkerProcess({
      taskQueue,
      modelUrl: harness.model.url,
      servicesUrl: harness.services.url,
      workflowCode: (await workflowBundle()).code,
      env: {
        SAGENT_TEST_NOTES_SERVERS: JSON.stringify({
          memory: tappedMemory({ MCP_TAP_DELAY_TOOL: 'create_entities', MCP_TAP_DELAY_MS: '12000' }),
          everythingUrl,
        }),
      },
    });
  afterAll(async () => worker?.kill());

  test('is retried with the same idempotency key, and the entity is there once', async () => {
    fs.rmSync(tapLog, { force: true });
    worker = await startWorker();
    const workflowId = `mcp-crash-${randomUUID().slice(0, 8)}`;
    const handle = await harness.client.workflow.start('agentSaga', { taskQueue, workflowId, args: [{ agent: 'notes', task: 'Keep a note about Ada' }] });
    await waitUntil(() => callsOf('create_entities').length === 1);
    const during = await handle.query(getStateQuery);
    expect(during.timeline.at(-1)).toMatchObject({ kind: 'tool', title: 'mcp memory.create_entities · effect 1', state: 'started' });
    await worker.kill();
    worker = await startWorker();
    const outcome = (await handle.result()) as RunOutcome;
    expect(outcome.status).toBe('completed');
    expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['memory_create_entities', 'committed']]);
    expect(callsOf('create_entities').map((c) => c.key)).toEqual([`${workflowId}/effect-1`, `${workflowId}/effect-1`]);
    const who = `Ada-${workflowId.split('-').at(-1)}`;
    expect((await readGraph()).entities.filter((e) => e.name === who)).toHaveLength(1);
  });
});
