/**
 * The approval inbox in a real browser: `sagent inbox` runs as the CLI, with inbox tokens for ana and bob and ana's
 * key in a temporary config dir; runs list ana with her public key, so only decisions the inbox signs count. The page
 * shows nothing without a token or with a wrong one, lets bob see but not decide, and lets ana approve one charge and
 * reject another with a reason. With `--sign-in-browser`, ana's key is made and kept by the page (WebCrypto Ed25519),
 * and a decision changed on its way to the run is refused on the page. Needs Debian's Chromium. Screenshots land in
 * test/artifacts/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Locator, Page } from 'playwright-core';
import { createKey } from '../../src/operations/keys';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { runLedger } from '../helpers/services';
import { ARTIFACTS_DIR, launchBrowser } from './window';
import { chargeOnceScenario } from '../helpers/scenarios';
import type { RespondingScenario } from '../../src/dev/scenario';
import { argsHashOf } from '../../src/policies/canonical';

// About 20 s for the file on an idle 2-core machine; the workflow bundle alone takes a minute on a busy one.
jest.setTimeout(180_000);
/** Setup bundles the workflows: minutes when the machine is shared and busy. */
const SETUP_TIMEOUT_MS = 600_000;

const ROOT = path.resolve(__dirname, '../..');
const CHARGE = { amountCents: 2300, currency: 'EUR', card: '4242424242424242', description: 'Inbox in a browser' };
const chargeOnce = chargeOnceScenario('inbox-ui', 'inbox-ui-', CHARGE);
const EMAIL = { to: 'ada@example.com', subject: 'Your receipt', body: 'Charged 23 EUR.' };
/** Claude asks for a charge and an email in one turn (call-1 and call-2), then ends. */
const chargeAndEmail: RespondingScenario = {
  name: 'inbox-edit',
  match: { runIdPrefix: 'inbox-edit-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? {
          content: [
            { type: 'text', text: 'Charging, then mailing.' },
            { type: 'tool_use', name: 'charge_card', input: CHARGE },
            { type: 'tool_use', name: 'send_email', input: EMAIL },
          ],
        }
      : { content: [{ type: 'text', text: 'Done.' }] },
};
const TOKENS = { ana: 'ana-inbox-token-0123456789abcdef', bob: 'bob-inbox-token-0123456789abcdef' };

let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let harness: Harness | undefined;
let inbox: ChildProcess | undefined;
let inboxUrl: string;
let configDir: string | undefined;
let toApprove: WorkflowHandle;
let toReject: WorkflowHandle;
let toEdit: WorkflowHandle;
let signedByAna: { approvers: Array<{ name: string; publicKey: string }> };
let inboxEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  browser = await launchBrowser();
  harness = await startHarness('inbox-ui', [chargeOnce, chargeAndEmail]);
  configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-inbox-ui-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SAGENT_CONFIG_DIR: configDir,
    SAGENT_INBOX_TOKENS: `ana:${TOKENS.ana},bob:${TOKENS.bob}`,
    TEMPORAL_ADDRESS: harness.temporal.address,
    TEMPORAL_NAMESPACE: harness.temporal.namespace,
    SAGENT_TASK_QUEUE: harness.taskQueue,
    NO_COLOR: '1',
  };
  inboxEnv = env;
  const ana = createKey('ana', { env });
  const approval = (signedByAna = { approvers: [{ name: 'ana', publicKey: ana.publicKey }] });
  const stamp = Date.now();
  toApprove = await harness.start(`inbox-ui-approve-${stamp}`, { agent: 'travel', task: 'Charge my card', approval });
  toReject = await harness.start(`inbox-ui-reject-${stamp}`, { agent: 'travel', task: 'Charge my card', approval });
  toEdit = await harness.start(`inbox-edit-${stamp}`, { agent: 'travel', task: 'Charge my card and mail me', approval });
  [inbox, inboxUrl] = await startInboxCli(env);
  await Promise.all([toApprove, toReject, toEdit].map((handle) => harness!.waitFor(handle, (s) => s.status === 'awaiting_approval')));
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  // regression: with a page still open, `sagent inbox` never exited on SIGTERM (the page's keep-alive connection).
  await stopInbox(inbox);
  await browser?.close();
  for (const handle of [toApprove, toReject, toEdit]) await handle?.terminate('inbox UI checks done').catch(() => undefined);
  await harness?.stop();
  if (configDir) await fs.rm(configDir, { recursive: true, force: true });
});

/** `sagent inbox --port 0`, as a user runs it; resolves with the URL it prints. */
function startInboxCli(env: NodeJS.ProcessEnv, ...options: string[]): Promise<[ChildProcess, string]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/sagent.js'), 'inbox', '--port', '0', ...options], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const url = /approval inbox at (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) resolve([child, url]);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sagent inbox exited with ${code} before it listened: ${stderr.trim()}`)));
  });
}

async function stopInbox(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `ui-inbox-${name}.png`), fullPage: true });
}

/** A fresh tab (no token in its session), signed in with `token`. */
async function signIn(token: string, url = inboxUrl): Promise<Page> {
  const page = await browser!.context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  await page.getByLabel('Your inbox token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

/**
 * The run's call as the page lists it. The list comes from the search attributes, which lag a little behind the
 * run: sign in again (it reloads the list) until the call shows.
 */
async function callOf(page: Page, handle: WorkflowHandle, callId = 'call-1'): Promise<Locator> {
  const call = page.locator(`.call[data-workflow-id="${handle.workflowId}"][data-call-id="${callId}"]`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await call.waitFor({ state: 'visible', timeout: 1_000 });
      return call;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
  }
}

test('the page shows nothing without a token or with a wrong one, and bob may look but not decide', async () => {
  const page = await browser!.context.newPage();
  await page.goto(inboxUrl, { waitUntil: 'load' });
  await expect(page.locator('#who').innerText()).resolves.toBe('Sign in to see the calls waiting for you.');
  await expect(page.locator('.call').count()).resolves.toBe(0);

  await page.getByLabel('Your inbox token').fill('not-a-token-0123456789abcdef');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('status').getByText('sign in with your inbox token').waitFor({ state: 'visible' });
  await expect(page.locator('.call').count()).resolves.toBe(0);
  await screenshot(page, 'wrong-token');
  await page.close();

  const asBob = await signIn(TOKENS.bob);
  await asBob.getByText('Signed in as bob (no key here: decisions are unsigned)').waitFor({ state: 'visible' });
  const call = await callOf(asBob, toApprove);
  await call.getByText('You are not an approver of this run.').waitFor({ state: 'visible' });
  for (const name of ['Approve', 'Approve with edit', 'Reject']) await expect(call.getByRole('button', { name, exact: true }).isDisabled()).resolves.toBe(true);
  await screenshot(asBob, 'bob');
  await asBob.close();
  expect((await harness!.waitFor(toApprove, () => true)).approvals).toEqual([]);
});

test('ana sees the call with its input masked, approves it, and the signed charge runs', async () => {
  const page = await signIn(TOKENS.ana);
  await page.getByText('Signed in as ana (decisions are signed with your key)').waitFor({ state: 'visible' });
  const call = await callOf(page, toApprove);
  await expect(call.getByRole('heading').innerText()).resolves.toBe('charge_card (call-1)');
  await call.getByText('Why it waits: charge_card is privileged').waitFor({ state: 'visible' });
  const input = JSON.parse(await call.locator('pre').innerText()) as typeof CHARGE;
  expect(input).toEqual({ ...CHARGE, card: '•••• 4242' });
  expect(await page.locator('body').innerText()).not.toContain(CHARGE.card);
  await screenshot(page, 'ana');

  await call.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.getByRole('status').getByText(`approved call-1 (charge_card) in ${toApprove.workflowId}`).waitFor({ state: 'visible', timeout: 15_000 });
  await page.close();

  const outcome = await outcomeOf(toApprove);
  expect(outcome.status).toBe('completed');
  expect(outcome.approvals).toEqual([expect.objectContaining({ callId: 'call-1', decision: 'approve', approver: 'ana', signed: true })]);
  const ledger = await runLedger(harness!.services.url, toApprove.workflowId);
  expect(ledger.effects).toEqual([expect.objectContaining({ key: `${toApprove.workflowId}/effect-1`, operation: 'charge', state: 'active' })]);
});

test('ana rejects the other charge with a reason, and Claude is told the reason instead of charging', async () => {
  const page = await signIn(TOKENS.ana);
  const call = await callOf(page, toReject);
  await call.getByRole('button', { name: 'Reject', exact: true }).click();
  await page.getByRole('status').getByText('a rejection needs a reason').waitFor({ state: 'visible' });

  await call.getByLabel('reason').fill('not this month');
  await call.getByRole('button', { name: 'Reject', exact: true }).click();
  // regression: the page said "rejectd".
  await page.getByRole('status').getByText(`rejected call-1 (charge_card) in ${toReject.workflowId}`).waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot(page, 'rejected');
  await page.close();

  const outcome = await outcomeOf(toReject);
  expect(outcome.status).toBe('completed');
  expect(outcome.approvals).toEqual([
    expect.objectContaining({ callId: 'call-1', decision: 'reject', approver: 'ana', reason: 'not this month', signed: true }),
  ]);
  expect(outcome.effects).toEqual([]);
  expect((await runLedger(harness!.services.url, toReject.workflowId)).effects).toEqual([]);
  // What Claude was shown for the charge: an error result carrying ana's reason.
  const lastTurn = harness!.model.requests.filter((request) => request.runId === toReject.workflowId).at(-1)!;
  const messages = (lastTurn.body as { messages: Array<{ role: string; content: unknown }> }).messages;
  const results = messages.at(-1)!.content as Array<{ type: string; is_error?: boolean; content: string }>;
  const rejection = results.find((block) => block.type === 'tool_result' && block.is_error);
  expect(JSON.parse(rejection!.content)).toMatchObject({ error: 'approval_rejected', reason: 'not this month' });
});

test('an edit starts from the input as shown and never sends a mask back: the real card goes unchanged, the e-mail as edited', async () => {
  const page = await signIn(TOKENS.ana);
  const charge = await callOf(page, toEdit);
  const email = await callOf(page, toEdit, 'call-2');
  // The approver sees the card and the address masked, in the listing and in the editor alike.
  const shown = JSON.parse(await charge.getByLabel('edited input').inputValue()) as typeof CHARGE;
  expect(shown).toEqual({ ...CHARGE, card: '•••• 4242' });
  expect(await page.locator('body').innerText()).not.toContain(CHARGE.card);

  await charge.getByLabel('edited input').fill(JSON.stringify({ ...shown, description: 'Inbox in a browser, edited' }));
  await charge.getByLabel('reason').fill('a clearer description');
  await charge.getByRole('button', { name: 'Approve with edit' }).click();
  await page.getByRole('status').getByText(`approved call-1 (charge_card) in ${toEdit.workflowId}`).waitFor({ state: 'visible', timeout: 15_000 });

  const shownEmail = JSON.parse(await email.getByLabel('edited input').inputValue()) as typeof EMAIL;
  expect(shownEmail.to).toBe('a••@example.com');
  await email.getByLabel('edited input').fill(JSON.stringify({ ...shownEmail, to: 'ada.lovelace@example.com' }));
  await email.getByRole('button', { name: 'Approve with edit' }).click();
  await page.getByRole('status').getByText(`approved call-2 (send_email) in ${toEdit.workflowId}`).waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot(page, 'edited');
  await page.close();

  const outcome = await outcomeOf(toEdit);
  expect(outcome.status).toBe('completed');
  // What ran is what the hashes say: the real card with the new description; the new address with the rest unchanged.
  const [chargeEffect, emailEffect] = outcome.effects;
  const ranCharge = argsHashOf({ tool: 'charge_card', input: { ...CHARGE, description: 'Inbox in a browser, edited' }, effectId: chargeEffect.effectId });
  const ranEmail = argsHashOf({ tool: 'send_email', input: { ...EMAIL, to: 'ada.lovelace@example.com' }, effectId: emailEffect.effectId });
  expect(outcome.approvals).toEqual([
    expect.objectContaining({ callId: 'call-1', approver: 'ana', signed: true, editedArgsHash: ranCharge }),
    expect.objectContaining({ callId: 'call-2', approver: 'ana', signed: true, editedArgsHash: ranEmail }),
  ]);
  const ledger = await runLedger(harness!.services.url, toEdit.workflowId);
  // The services received the card (they keep its last four digits) and the new address, and never a mask.
  const requests = JSON.stringify(ledger.effects.map((effect) => effect.request));
  expect(ledger.effects).toHaveLength(2);
  expect(requests).toContain('"cardLast4":"4242"');
  expect(requests).toContain('ada.lovelace@example.com');
  expect(requests).not.toContain('••');
});

test('the page refreshes by itself: a call that starts waiting after sign-in shows up without a click', async () => {
  const page = await signIn(TOKENS.ana);
  await page.getByText('Signed in as ana (decisions are signed with your key)').waitFor({ state: 'visible' });
  const late = await harness!.start(`inbox-ui-late-${Date.now()}`, { agent: 'travel', task: 'Charge my card', approval: signedByAna });
  try {
    await page.locator(`.call[data-workflow-id="${late.workflowId}"]`).waitFor({ state: 'visible', timeout: 30_000 });
  } finally {
    await late.terminate('refresh checked');
    await page.close();
  }
});

test('a page of another origin cannot frame the inbox, and every answer carries the headers an approval page needs', async () => {
  const headers = (await fetch(inboxUrl)).headers;
  expect(headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
  expect(headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect((await fetch(`${inboxUrl}/api/pending`)).headers.get('x-frame-options')).toBe('DENY');

  const attacker = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!doctype html><p>win a prize</p><iframe id="inbox" src="${inboxUrl}/" width="800" height="600"></iframe>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const page = await browser!.context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`, { waitUntil: 'load' });
    await page.getByText('win a prize').waitFor({ state: 'visible' });
    const framed = page.frames().filter((frame) => frame !== page.mainFrame());
    expect(framed.length).toBeGreaterThan(0);
    // The browser refused to render the inbox inside the other origin's page: no sign-in form in any frame.
    for (const frame of framed) expect(await frame.locator('#signin').count()).toBe(0);
    await screenshot(page, 'framed');
  } finally {
    await page.close();
    attacker.close();
  }
});

test("with --sign-in-browser the key never leaves ana's page: her signed approval runs, and one changed on its way is refused on the page", async () => {
  const [ownKeys, ownKeysUrl] = await startInboxCli(inboxEnv, '--sign-in-browser');
  const stamp = Date.now();
  const runs: WorkflowHandle[] = [];
  try {
    const page = await signIn(TOKENS.ana, ownKeysUrl);
    await page.getByText('Signed in as ana (decisions are signed in this browser with your own key)').waitFor({ state: 'visible' });
    const publicKey = await page.locator('#key[data-public-key]').getAttribute('data-public-key');
    // The page's key, not the one sagent keys create left in the inbox's config dir: only the browser can sign for it.
    expect(publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(publicKey).not.toBe(signedByAna.approvers[0].publicKey);
    const approval = { approvers: [{ name: 'ana', publicKey: publicKey! }] };
    const good = await harness!.start(`inbox-ui-own-good-${stamp}`, { agent: 'travel', task: 'Charge my card', approval });
    const changed = await harness!.start(`inbox-ui-own-changed-${stamp}`, { agent: 'travel', task: 'Charge my card', approval });
    runs.push(good, changed);
    await Promise.all(runs.map((handle) => harness!.waitFor(handle, (s) => s.status === 'awaiting_approval')));

    // An inbox that asks the page to sign other words than ana chose gets no signature.
    await page.route('**/api/prepare', async (route) => {
      const answer = (await (await route.fetch()).json()) as { workflowId: string; message: string };
      await route.fulfill({ json: { ...answer, message: answer.message.replace('"decision":"approve"', '"decision":"reject"') } });
    });
    await (await callOf(page, changed)).getByRole('button', { name: 'Approve', exact: true }).click();
    await page
      .getByRole('status')
      .getByText('the inbox asked this browser to sign something other than your decision: nothing was signed')
      .waitFor({ state: 'visible' });
    await page.unroute('**/api/prepare');

    // Someone between the page and the run puts other words in ana's mouth: the signature no longer covers them.
    await page.route('**/api/decide', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { workflowId: string; reason?: string };
      if (body.workflowId === changed.workflowId) body.reason = 'approved by the inbox';
      await route.continue({ postData: JSON.stringify(body) });
    });
    await (await callOf(page, changed)).getByRole('button', { name: 'Approve', exact: true }).click();
    const refusal = page.getByRole('status').getByText(/the run refused the decision: .*signature is not ana's/);
    await refusal.waitFor({ state: 'visible', timeout: 15_000 });
    await expect(page.getByRole('status').getAttribute('class')).resolves.toBe('error');
    await screenshot(page, 'own-key-refused');

    await (await callOf(page, good)).getByRole('button', { name: 'Approve', exact: true }).click();
    await page.getByRole('status').getByText(`approved call-1 (charge_card) in ${good.workflowId}`).waitFor({ state: 'visible', timeout: 15_000 });
    await page.close();

    const outcome = await outcomeOf(good);
    expect(outcome.status).toBe('completed');
    expect(outcome.approvals).toEqual([expect.objectContaining({ callId: 'call-1', decision: 'approve', approver: 'ana', signed: true })]);
    const still = await harness!.waitFor(changed, () => true);
    expect(still.status).toBe('awaiting_approval');
    expect(still.approvals).toEqual([]);
  } finally {
    await stopInbox(ownKeys);
    for (const handle of runs) await handle.terminate('own-key checks done').catch(() => undefined);
  }
});
