/**
 * What strangers can put in front of approvers, and what operators see at once, read in the real Temporal Web UI with
 * a headless Chromium: a Markdown link and image sent as an approver's name show as plain text (no link, no image);
 * a refused skip of a compensation shows in the current details at once; a terminated run is not pending in the
 * query the README gives for the UI; the workflow list tells completed, compensated, blocked and terminated-while-
 * pending runs apart with the column the README has operators add (and what its default columns show of them).
 * Needs Debian's Chromium. Screenshots land in test/artifacts/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Scenario } from '../../src/dev/scenario';
import { PENDING_QUERY } from '../../src/operations/approvals';
import { approvalSignal, getStateQuery, skipCompensationSignal } from '../../src/shared/contracts';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { chargeOnceScenario } from '../helpers/scenarios';
import { addFault } from '../helpers/services';
import { ARTIFACTS_DIR, launchBrowser, listUrl, workflowUrl } from './window';

// The workflow bundle alone takes a minute on a busy 2-core machine.
jest.setTimeout(180_000);
/** Setup bundles the workflows: minutes when the machine is shared and busy. */
const SETUP_TIMEOUT_MS = 600_000;

const CHARGE = { amountCents: 1700, currency: 'EUR', card: '4242424242424242', description: 'Surfaces' };
const chargeOnce = chargeOnceScenario('ui-surfaces', 'ui-surfaces-', CHARGE);
/** Claude answers at once: the run completes. */
const answers: Scenario = {
  name: 'ui-surfaces-done',
  match: { runIdPrefix: 'ui-list-done-' },
  turns: [{ content: [{ type: 'text', text: 'Nothing to book.' }] }],
};
/** Claude books a flight, then gives up: the run rolls the flight back (or is blocked, where its undo keeps failing). */
const givesUp: Scenario = {
  name: 'ui-surfaces-undo',
  match: { runIdPrefix: 'ui-list-undo-' },
  turns: [
    { content: [{ type: 'tool_use', name: 'book_flight', input: { flightId: 'AF-1380', passenger: 'Grace Hopper' } }] },
    { content: [{ type: 'tool_use', name: 'abort', input: { reason: 'the traveller changed their mind' } }] },
  ],
};
/** A sender's name with a link, an image and HTML in it: 64 characters at most, as a decision's approver may be. */
const HOSTILE_NAME = '[ok](http://e.vil) ![i](http://e.vil/i.png) <b>x</b>';

let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let harness: Harness | undefined;
let uiUrl: string;

beforeAll(async () => {
  browser = await launchBrowser();
  uiUrl = process.env.SAGENT_TEST_TEMPORAL_UI ?? '';
  if (!uiUrl) throw new Error('SAGENT_TEST_TEMPORAL_UI is not set: run with `npm test`, or set it with SAGENT_TEST_TEMPORAL_ADDRESS');
  harness = await startHarness('ui-surfaces', [answers, givesUp, chargeOnce]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `ui-${name}.png`), fullPage: true });
}

async function pausedRun(name: string) {
  const handle = await harness!.start(`ui-surfaces-${name}-${Date.now()}`, { agent: 'travel', task: 'Charge my card', approval: { approvers: ['ana'] } });
  await harness!.waitFor(handle, (s) => s.status === 'awaiting_approval');
  return { handle, runId: (await handle.describe()).runId };
}

/** The run's current details as the UI renders them (Markdown, in an iframe), once `marker` shows. */
async function openDetails(page: Page, workflowId: string, runId: string, marker: string) {
  await page.goto(workflowUrl(uiUrl, workflowId, runId, 'user-metadata'), { waitUntil: 'load', timeout: 30_000 });
  const details = page.frameLocator('iframe[title="output"]');
  try {
    await details.getByText(marker).first().waitFor({ state: 'visible', timeout: 60_000 });
  } catch (err) {
    await screenshot(page, `details-missing-${workflowId}`);
    throw err;
  }
  return details;
}

test('an approval signal whose approver is a Markdown link and image shows as plain text, marked unverified', async () => {
  const { handle, runId } = await pausedRun('inject');
  const {
    pendingApprovals: [charge],
  } = await handle.query(getStateQuery);
  await handle.signal(approvalSignal, { callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: HOSTILE_NAME });
  await harness!.waitFor(handle, (s) => s.rejectedAttempts.length > 0);
  const page = await browser!.context.newPage();
  try {
    const details = await openDetails(page, handle.workflowId, runId, 'Refused attempts');
    await screenshot(page, 'injected-approver');
    expect(await details.locator('a').count()).toBe(0);
    expect(await details.locator('img').count()).toBe(0);
    // The details' own emphasis is <strong> (Markdown); a <b> could only come from the sender's HTML.
    expect(await details.locator('b').count()).toBe(0);
    const text = await details.locator('body').innerText();
    expect(text).toContain(HOSTILE_NAME);
    expect(text).toMatch(/claiming to be\s+\[ok\]\(http:\/\/e\.vil\)[^\n]*\(unverified\)/);
  } finally {
    await page.close();
    await handle.terminate('checked');
  }
});

test('a refused skip of a compensation shows in the current details at once, with who and why', async () => {
  const { handle, runId } = await pausedRun('skip');
  await handle.signal(skipCompensationSignal, { effectId: '7', by: 'mallory', reason: 'nothing to see here' });
  await harness!.waitFor(handle, (s) => s.rejectedAttempts.some((attempt) => attempt.message === 'skipCompensation'));
  const page = await browser!.context.newPage();
  try {
    // Nothing else happens in the run: the details show the refusal because the signal itself refreshed them.
    const details = await openDetails(page, handle.workflowId, runId, 'skipCompensation signal');
    await screenshot(page, 'refused-skip');
    const text = await details.locator('body').innerText();
    expect(text).toMatch(/skipCompensation signal claiming to be\s+mallory\s+\(unverified\) for\s+7\s*: no effect/);
  } finally {
    await page.close();
    await handle.terminate('checked');
  }
});

test("a terminated run keeps AgentPendingApprovals but is not pending in the README's query for the UI", async () => {
  const live = await pausedRun('live');
  const dead = await pausedRun('dead');
  await dead.handle.terminate('operator gave up');
  const page = await browser!.context.newPage();
  try {
    // The stale attribute is still there: the bare query would list the dead run.
    const described = await dead.handle.describe();
    expect(described.searchAttributes.AgentPendingApprovals).toEqual([1]);
    // Visibility is eventually consistent: wait until the server itself answers the query with the live run alone.
    for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
      const listed: string[] = [];
      for await (const run of harness!.client.workflow.list({ query: PENDING_QUERY })) listed.push(run.workflowId);
      if (listed.includes(live.handle.workflowId) && !listed.includes(dead.handle.workflowId)) break;
      if (Date.now() > deadline) throw new Error(`the server never listed ${live.handle.workflowId} alone: ${listed.join(', ')}`);
    }
    await page.goto(listUrl(uiUrl, PENDING_QUERY), { waitUntil: 'networkidle', timeout: 30_000 });
    await page.getByText(live.handle.workflowId).first().waitFor({ state: 'visible', timeout: 20_000 });
    await screenshot(page, 'pending-list');
    const ids = await page
      .locator('table tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.querySelector('a[href*="/workflows/"]')?.textContent?.trim() ?? ''));
    expect(ids).toContain(live.handle.workflowId);
    expect(ids).not.toContain(dead.handle.workflowId);
  } finally {
    await page.close();
    await live.handle.terminate('checked');
  }
});

/** What the UI persists when an operator adds columns (the table's column settings), for the default namespace. */
const COLUMNS_KEY = 'namespace-workflow-table-columns';
const DEFAULT_COLUMNS = ['Status', 'Workflow ID', 'Run ID', 'Type', 'Start', 'End'];

/** The workflow list for `query`: its column headers, and each listed run's cells by header. */
async function readList(page: Page, query: string, ids: string[], screenshotName: string) {
  await page.goto(listUrl(uiUrl, query), { waitUntil: 'networkidle', timeout: 30_000 });
  for (const id of ids) await page.getByText(id, { exact: true }).first().waitFor({ state: 'visible', timeout: 20_000 });
  await screenshot(page, screenshotName);
  const headers = (await page.locator('table thead th[data-testid^="workflows-summary-table-header-cell-"]').allInnerTexts()).map((text) => text.trim());
  const rows = await page
    .locator('table tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) =>
        Array.from(
          tr.querySelectorAll('td[data-testid="workflows-summary-table-body-cell"]'),
          (td: { textContent: string | null }) => td.textContent?.trim() ?? '',
        ),
      ),
    );
  const byId = new Map<string, Record<string, string>>();
  for (const cells of rows) {
    const row = Object.fromEntries(headers.map((header, index) => [header, cells[index] ?? '']));
    if (row['Workflow ID']) byId.set(row['Workflow ID'], row);
  }
  return { headers, byId };
}

test('the workflow list tells completed, compensated, blocked and terminated-while-pending runs apart once AgentStatus is a column', async () => {
  const stamp = Date.now();
  const completed = await harness!.start(`ui-list-done-${stamp}`, { agent: 'travel', task: 'Book nothing' });
  const compensated = await harness!.start(`ui-list-undo-ok-${stamp}`, { agent: 'travel', task: 'Book a trip to Paris' });
  const blockedId = `ui-list-undo-stuck-${stamp}`;
  await addFault(harness!.services.url, { path: '/effects/undo', keyPrefix: `${blockedId}/effect-1`, mode: 'error5xx', status: 503 });
  const blocked = await harness!.start(blockedId, { agent: 'travel', task: 'Book a trip to Paris', blockAfterCompensationFailures: 1 });
  const terminated = await pausedRun('list-dead');
  await terminated.handle.terminate('operator gave up');
  const page = await browser!.context.newPage();
  try {
    expect((await outcomeOf(completed)).status).toBe('completed');
    expect((await outcomeOf(compensated)).status).toBe('compensated');
    await harness!.waitFor(blocked, (s) => s.status === 'blocked');
    const ids = [completed, compensated, blocked, terminated.handle].map((handle) => handle.workflowId);
    const query = `WorkflowId IN (${ids.map((id) => `'${id}'`).join(', ')}) AND AgentStatus IN ('completed', 'compensated', 'blocked', 'awaiting_approval')`;
    // Visibility is eventually consistent: the query names the outcomes, so the list is read once all four are indexed.
    for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
      let listed = 0;
      for await (const _ of harness!.client.workflow.list({ query })) listed += 1;
      if (listed === ids.length) break;
      if (Date.now() > deadline) throw new Error(`the server listed ${listed} of the four runs for ${query}`);
    }

    // The default columns show Temporal's status only: a rollback is Completed like a success (README, "What the list's default columns cannot tell you").
    await page.goto(uiUrl, { waitUntil: 'load', timeout: 30_000 });
    await page.evaluate(`localStorage.removeItem('${COLUMNS_KEY}')`);
    const plain = await readList(page, query, ids, 'list-default-columns');
    expect(plain.headers).toEqual(DEFAULT_COLUMNS);
    expect(ids.map((id) => plain.byId.get(id)?.Status)).toEqual(['Completed', 'Completed', 'Running', 'Terminated']);

    // With the AgentStatus column an operator adds, as the README says, each outcome reads apart.
    const columns = [...DEFAULT_COLUMNS, 'AgentStatus', 'AgentPendingApprovals'].map((label) => ({ label }));
    await page.evaluate(`localStorage.setItem('${COLUMNS_KEY}', ${JSON.stringify(JSON.stringify({ default: columns }))})`);
    const viewed = await readList(page, query, ids, 'list-agent-status');
    expect(viewed.headers).toEqual(columns.map((column) => column.label));
    expect(ids.map((id) => [viewed.byId.get(id)?.Status, viewed.byId.get(id)?.AgentStatus])).toEqual([
      ['Completed', 'completed'],
      ['Completed', 'compensated'],
      ['Running', 'blocked'],
      ['Terminated', 'awaiting_approval'],
    ]);
  } finally {
    await page.evaluate(`localStorage.removeItem('${COLUMNS_KEY}')`).catch(() => undefined);
    await page.close();
    await fetch(`${harness!.services.url}/_faults`, { method: 'DELETE' });
    await blocked.terminate('checked').catch(() => undefined);
  }
});
