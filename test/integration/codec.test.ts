/**
 * Guarantee 9 on the real server: with a codec key, a trip's history holds none of its secrets in clear (read raw with
 * the official `temporal` CLI), while sagent's own client reads the run normally, with the secrets masked.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { codecDataConverter } from '../../src/codec/data-converter';
import { decodeHistory } from '../../src/codec/history';
import { keyIdOf } from '../../src/codec/encryption-codec';
import { main } from '../../src/cli/main';
import { findTemporalCli } from '../../src/dev/temporal';
import { decideUpdate, type RunState } from '../../src/shared/contracts';
import { occurrences, plantCanaries } from '../helpers/canaries';
import { outcomeOf, startHarness, workflowBundle, type Harness } from '../helpers/harness';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const canaries = plantCanaries('codec-');
const needles = [canaries.card, canaries.card.replace(/ /g, ''), canaries.email, canaries.marker];

let harness: Harness;
let handle: WorkflowHandle;

beforeAll(async () => {
  harness = await startHarness('codec', [canaries.scenario], { dataConverter: codecDataConverter({ SAGENT_CODEC_KEYS: k1 }) });
  handle = await harness.start(`codec-${Date.now()}`, { agent: 'travel', task: canaries.task, approval: { approvers: ['ana'] } });
  for (const tool of ['charge_card', 'send_email']) {
    const state = await harness.waitFor(handle, (s) => s.pendingApprovals[0]?.tool === tool);
    const request = state.pendingApprovals[0];
    await handle.executeUpdate(decideUpdate, { args: [{ callId: request.callId, argsHash: request.argsHash, decision: 'approve', approver: 'ana' }] });
  }
  expect((await outcomeOf(handle)).status).toBe('completed');
});
afterAll(() => harness?.stop());

async function rawHistory(workflowId: string): Promise<string> {
  const cli = await findTemporalCli();
  if (!cli) throw new Error('no temporal CLI (it is installed in .sagent/temporal-cli by the test setup)');
  const { stdout } = await promisify(execFile)(
    cli,
    ['workflow', 'show', '-w', workflowId, '-o', 'json', '--address', harness.temporal.address, '--namespace', harness.temporal.namespace],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

test('the raw history holds no canary, neither in clear nor in base64, though the decoded one holds them all', async () => {
  const raw = await rawHistory(handle.workflowId);
  expect(raw).toContain(Buffer.from('binary/encrypted').toString('base64'));
  expect(occurrences(raw, needles)).toEqual(Object.fromEntries(needles.map((needle) => [needle, 0])));

  // The control: the same history decoded with the key has every canary (task, tool inputs and tool results).
  const decoded = historyToJSON(await decodeHistory(await handle.fetchHistory(), harness.client.options.loadedDataConverter));
  for (const [needle, count] of Object.entries(occurrences(decoded, [canaries.card, canaries.email, canaries.marker])))
    expect([needle, count > 0]).toEqual([needle, true]);
  expect(decoded).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
});

test('getState through the codec client shows the run, with the marked secrets masked', async () => {
  const state: RunState = await handle.query('getState');
  expect(state.status).toBe('completed');
  expect(state.effects.map((e) => e.tool)).toEqual(['book_flight', 'book_hotel', 'rent_car', 'charge_card', 'send_email']);
  const byTool = Object.fromEntries(state.effects.map((e) => [e.tool, e.input as Record<string, unknown>]));
  expect(byTool.charge_card.card).toBe(`•••• ${canaries.card.slice(-4)}`);
  expect(byTool.send_email.to).toBe(`${canaries.marker[0].toLowerCase()}••@example.com`);
  // Not marked secret: shown as it is.
  expect(byTool.book_flight.passenger).toBe(`Ada ${canaries.marker}`);
  const shown = JSON.stringify(state);
  expect(shown).not.toContain(canaries.card);
  expect(shown).not.toContain(canaries.email);
});

test('`sagent history` and `sagent status --json` work with the codec on: history decoded, status masked', async () => {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: harness.temporal.address,
    TEMPORAL_NAMESPACE: harness.temporal.namespace,
    SAGENT_TASK_QUEUE: harness.taskQueue,
    SAGENT_CODEC_KEYS: k1,
    NO_COLOR: '1',
  };
  const sagent = async (...args: string[]) => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const code = await main(['node', 'sagent', ...args], { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env });
    return { code, stdout: Buffer.concat(chunks).toString() };
  };
  const history = await sagent('history', handle.workflowId);
  expect(history.code).toBe(0);
  expect(occurrences(history.stdout, [canaries.marker])[canaries.marker]).toBeGreaterThan(0);
  // A fixture captured this way replays on a worker without the key.
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, JSON.parse(history.stdout), handle.workflowId);

  const status = await sagent('status', handle.workflowId, '--json');
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ status: 'completed' });
  expect(occurrences(status.stdout, [canaries.card, canaries.email])).toEqual({ [canaries.card]: 0, [canaries.email]: 0 });
});

test('rotation: with a new key added the old run still reads, and new payloads carry the new key id', async () => {
  const rotated = new Client({
    connection: harness.temporal.connection,
    namespace: harness.temporal.namespace,
    dataConverter: codecDataConverter({ SAGENT_CODEC_KEYS: `${k1},${k2}` }),
  });
  const old = rotated.workflow.getHandle(handle.workflowId);
  expect((await old.result()).status).toBe('completed');
  const decoded = historyToJSON(await decodeHistory(await old.fetchHistory(), rotated.options.loadedDataConverter));
  expect(occurrences(decoded, [canaries.marker])[canaries.marker]).toBeGreaterThan(0);

  // Nobody polls this queue: the run is only started, to look at how its input was sealed.
  const fresh = await rotated.workflow.start('agentSaga', {
    taskQueue: `${harness.taskQueue}-idle`,
    workflowId: `codec-rotated-${Date.now()}`,
    args: [{ agent: 'travel', task: 'Lisbon' }],
  });
  try {
    const started = JSON.parse(await rawHistory(fresh.workflowId)).events[0].workflowExecutionStartedEventAttributes;
    const [sealed] = started.input.payloads as Array<{ metadata: Record<string, string>; data: string }>;
    const metadata = Object.fromEntries(Object.entries(sealed.metadata).map(([name, value]) => [name, Buffer.from(value, 'base64')]));
    expect(keyIdOf({ metadata, data: Buffer.from(sealed.data, 'base64') })).toBe('k2');
  } finally {
    await fresh.terminate('rotation check done');
  }

  // Without the old key, the old run fails to read, naming the key it needs.
  const newOnly = new Client({
    connection: harness.temporal.connection,
    namespace: harness.temporal.namespace,
    dataConverter: codecDataConverter({ SAGENT_CODEC_KEYS: k2 }),
  });
  await expect(newOnly.workflow.getHandle(handle.workflowId).result()).rejects.toMatchObject({
    message: expect.stringMatching(/key id "k1", which is not configured/),
  });
});
