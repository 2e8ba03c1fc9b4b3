/**
 * The dev server's Web UI with the codec endpoint decodes what history stores encrypted: a real headless Chromium opens
 * a run's event history on a dev server started with `--ui-codec-endpoint`, and reads an activity's input in clear.
 * A page of another origin that holds the same endpoint, token included, reads nothing from it.
 * Its own dev server (the shared test server has no codec endpoint), on free ports. Needs Debian's Chromium.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { codecDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { parseKeyList } from '../../src/codec/keys';
import { startCodecServer, uiOrigins, type CodecServer } from '../../src/codec/server';
import { freePorts } from '../../src/dev/ports';
import { ensureDevServer, type DevServer } from '../../src/dev/temporal';
import { plantCanaries } from '../helpers/canaries';
import { startHarness, type Harness } from '../helpers/harness';
import { ARTIFACTS_DIR, launchBrowser, workflowUrl } from './window';

jest.setTimeout(120_000);

const keys = `ui:${randomBytes(32).toString('base64')}`;
const canaries = plantCanaries('codec-ui-');
let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let codecServer: CodecServer | undefined;
let devServer: DevServer | undefined;
let harness: Harness | undefined;
let dir: string;
const sharedAddress = process.env.SAGENT_TEST_TEMPORAL_ADDRESS;

beforeAll(async () => {
  browser = await launchBrowser();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-codec-ui-'));
  const [port, uiPort] = await freePorts(2);
  codecServer = await startCodecServer({ codec: new EncryptionCodec(parseKeyList(keys)), origins: uiOrigins(`http://127.0.0.1:${uiPort}`), port: 0 });
  devServer = await ensureDevServer({
    port,
    uiPort,
    stateDir: dir,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    uiCodecEndpoint: codecServer.uiEndpoint,
  });
  // The harness connects to the server SAGENT_TEST_TEMPORAL_ADDRESS names: this file's own, for as long as it runs.
  process.env.SAGENT_TEST_TEMPORAL_ADDRESS = devServer.address;
  harness = await startHarness('codec-ui', [canaries.scenario], { dataConverter: codecDataConverter({ SAGENT_CODEC_KEYS: keys }) });
});

afterAll(async () => {
  process.env.SAGENT_TEST_TEMPORAL_ADDRESS = sharedAddress;
  await browser?.close();
  await harness?.stop();
  await codecServer?.close();
  await devServer?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test("the run's event history in the Web UI shows an activity input decoded", async () => {
  const handle = await harness!.start(`codec-ui-${Date.now()}`, { agent: 'travel', task: canaries.task, approval: { approvers: ['ana'] } });
  await harness!.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const { runId } = await handle.describe();
  const page = await browser!.context.newPage();
  await page.goto(workflowUrl(devServer!.uiUrl, handle.workflowId, runId, 'history'), { waitUntil: 'load', timeout: 30_000 });
  const scheduled = page.getByText('Activity Task Scheduled').first();
  await scheduled.waitFor({ state: 'visible', timeout: 20_000 });
  // The book_flight activity's input names the passenger, which only the codec server can reveal.
  await page
    .getByText(/book_flight · effect 1/)
    .first()
    .click();
  const passenger = page.getByText(`Ada ${canaries.marker}`).first();
  try {
    await passenger.waitFor({ state: 'visible', timeout: 20_000 });
  } finally {
    await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'ui-codec-history.png'), fullPage: true });
  }
  expect(await page.getByText('binary/encrypted').count()).toBe(0);
  await handle.terminate('UI codec check done');
});

test('a page of another origin that knows the endpoint and its token reads nothing from the codec', async () => {
  const [sealed] = await new EncryptionCodec(parseKeyList(keys)).encode([defaultPayloadConverter.toPayload({ card: '4000056655665556' })]);
  const body = JSON.stringify({ payloads: [payloadToJSON(sealed)] });
  // The stolen endpoint, token in its path, as the UI's Codec Server setting holds it.
  const script = `fetch(${JSON.stringify(`${codecServer!.uiEndpoint}/decode`)}, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default' }, body: ${JSON.stringify(body)} })
    .then((r) => r.text()).then((t) => { document.getElementById('out').textContent = 'read: ' + t; }, (e) => { document.getElementById('out').textContent = 'refused: ' + e.name; });`;
  const attacker = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><p id="out">waiting</p><script>${script}</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const page = await browser!.context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`, { waitUntil: 'load' });
    await page.getByText(/^(read|refused): /).waitFor({ state: 'visible', timeout: 10_000 });
    await expect(page.locator('#out').innerText()).resolves.toBe('refused: TypeError');
    expect(await page.content()).not.toContain('4000056655665556');
  } finally {
    await page.close();
    attacker.close();
  }
});
