/**
 * `npm run demo -- --yes` as a user runs it, against the test run's Temporal server (TEMPORAL_ADDRESS set, so the
 * demo starts no server of its own): both trips and the notes run end as the scenarios say, with their UI links, and it
 * exits 0.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { codecDataConverter } from '../../src/codec/data-converter';
import { testConnection } from '../helpers/temporal';

// About 15 s on an idle 2-core machine; the margin is for machines busy with other work.
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const UI = 'http://ui.test:8233';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'src/demo/main.ts'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let temporal: Awaited<ReturnType<typeof testConnection>>;

beforeAll(async () => {
  temporal = await testConnection();
});
afterAll(() => temporal?.close());

test('the demo runs both trips and the notes run to their outcomes with --yes and exits 0', async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    SAGENT_UI_URL: UI,
    NO_COLOR: '1',
    // The demo creates its approver's key on first run: in a throwaway config dir, not the user's.
    SAGENT_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'sagent-demo-config-')),
  };
  delete env.ANTHROPIC_API_KEY;
  delete env.ANTHROPIC_BASE_URL;
  delete env.SAGENT_CODEC_KEYS;
  delete env.SAGENT_CODEC_KEY_FILE;
  const ran = await runDemo(['--yes', '--data-dir', 'memory://'], env);
  // The whole output shows up when this fails.
  expect({ code: ran.code, stderr: ran.stderr, stdout: ran.stdout }).toMatchObject({ code: 0, stderr: '' });

  const happy = /happy-trip-\d{8}-\d{6}/.exec(ran.stdout)?.[0];
  const unlucky = /unlucky-trip-\d{8}-\d{6}/.exec(ran.stdout)?.[0];
  const notes = /trip-notes-\d{8}-\d{6}/.exec(ran.stdout)?.[0];
  expect(happy).toBeDefined();
  expect(unlucky).toBeDefined();
  expect(notes).toBeDefined();

  // Both paused calls of the happy trip's payments sub-agent were approved through the trip's id, with the same
  // update `sagent approve` sends.
  expect(ran.stdout).toContain('approved charge_card (call-1) as you');
  expect(ran.stdout).toContain('approved send_email (call-2) as you');
  expect(ran.stdout).toContain(`delegate_payments → ${happy}/effect-4/payments`);
  // The ledger shows the whole tree: the sub-agent's effects under the step that delegated to them.
  expect(ran.stdout).toMatch(new RegExp(`${happy}/effect-4/payments/effect-1\\s+↳ charge_card\\s+committed`));
  // The unlucky trip's payment failed in the sub-agent, which is critical, so the trip undid its bookings newest-first.
  expect(ran.stdout).toMatch(/undo rent_car[^\n]*\n[^\n]*undo book_hotel[^\n]*\n[^\n]*undo book_flight/);
  // The notes run wrote two entities through the MCP memory server, read them back, aborted, and the memory server
  // deleted them again, newest-first.
  expect(ran.stdout).toMatch(/mcp memory\.create_entities · effect 1[^\n]*\n(?:[^\n]*\n)*?[^\n]*mcp memory\.create_entities · effect 2[^\n]*\n/);
  expect(ran.stdout).toMatch(/mcp memory\.search_nodes · read/);
  expect(ran.stdout).toMatch(
    /undo mcp memory\.create_entities \(delete_entities\) · effect 2[^\n]*compensated\n(?:[^\n]*\n)*?[^\n]*undo mcp memory\.create_entities \(delete_entities\) · effect 1[^\n]*compensated/,
  );

  // The summary: one row per run with its outcome, and each run's UI link.
  expect(ran.stdout).toMatch(new RegExp(`${happy}\\s+completed\\s+4\\s+4\\s+0\\s+\\$`));
  expect(ran.stdout).toMatch(new RegExp(`${unlucky}\\s+compensated\\s+3\\s+4\\s+3\\s+\\$`));
  expect(ran.stdout).toMatch(new RegExp(`${notes}\\s+compensated\\s+3\\s+2\\s+2\\s+\\$`));
  expect(ran.stdout).toMatch(new RegExp(`${notes}/effect-2\\s+memory_create_entities\\s+committed\\s+compensated`));
  expect(ran.stdout).toContain(`${happy}: ${UI}/namespaces/default/workflows/${happy}`);
  expect(ran.stdout).toContain(`${unlucky}: ${UI}/namespaces/default/workflows/${unlucky}`);
  expect(ran.stdout).toContain(`${notes}: ${UI}/namespaces/default/workflows/${notes}`);

  // The memory server's own state: this demo's graph file (fresh, named by the demo's stamp) was written, and holds
  // nothing now, as the summary says.
  const memoryFile = `.sagent/demo-memory-${notes!.slice('trip-notes-'.length)}.jsonl`;
  expect(ran.stdout).toContain(`(${memoryFile}): empty; the notes run's 2 MCP write(s) were undone, newest first`);
  expect(fs.readFileSync(path.join(ROOT, memoryFile), 'utf8').trim()).toBe('');
  fs.rmSync(path.join(ROOT, memoryFile));

  // The runs are really there, encrypted with the demo's own key, with the outcomes the demo printed.
  expect(ran.stdout).toMatch(/Codec: payloads encrypted with key demo-/);
  await expect(temporal.client.workflow.getHandle(happy!).result()).rejects.toThrow(/binary\/encrypted/);
  const dataConverter = codecDataConverter({ SAGENT_CODEC_KEY_FILE: path.join(ROOT, '.sagent/codec-keys.json') });
  const client = new Client({ connection: temporal.connection, namespace: temporal.namespace, dataConverter });
  expect((await client.workflow.getHandle(happy!).result()).status).toBe('completed');
  expect((await client.workflow.getHandle(unlucky!).result()).status).toBe('compensated');
  expect((await client.workflow.getHandle(notes!).result()).status).toBe('compensated');
});

test('the demo reports an unreachable server in one line and exits 1', async () => {
  const ran = await runDemo(['--yes', '--data-dir', 'memory://'], { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', NO_COLOR: '1' });
  expect(ran.code).toBe(1);
  expect(ran.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: cannot reach Temporal at 127\.0\.0\.1:1 /)]);
});
