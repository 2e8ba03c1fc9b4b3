/**
 * What strangers can put in front of approvers, and what operators see at once, read in the real Temporal Web UI with
 * a headless Chromium: a Markdown link and image sent as an approver's name show as plain text (no link, no image);
 * a refused skip of a compensation shows in the current details at once; a terminated run is pending in no sagent
 * surface nor in the query the README gives for the UI; the workflow list tells completed, compensated, blocked and
 * terminated-while-pending runs apart once an operator adds sagent's columns in the UI's column settings, and each of
 * the README's views lists its own run alone (and what the default columns show of them, which no server can change).
 * Needs Debian's Chromium. Screenshots land in test/artifacts/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { SagentClient } from '../../src/client';
import type { Scenario } from '../../src/dev/scenario';
import { PENDING_QUERY } from '../../src/operations/approvals';
import { LIST_VIEWS, listViewUrl } from '../../src/operations/list-views';
import { approvalSignal, decideUpdate, getStateQuery, skipCompensationSignal } from '../../src/shared/contracts';
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

test("a terminated run keeps AgentPendingApprovals but is pending in no sagent surface, nor in the README's query for the UI", async () => {
  const live = await pausedRun('live');
  const dead = await pausedRun('dead');
  await dead.handle.terminate('operator gave up');
  const page = await browser!.context.newPage();
  try {
    // At once, before visibility catches up: its worker still answers for it from its replayed state.
    const sagent = new SagentClient({ client: harness!.client, taskQueue: harness!.taskQueue });
    const { calls } = await sagent.pending();
    expect(calls.map((call) => call.workflowId)).toContain(live.handle.workflowId);
    expect(calls.map((call) => call.workflowId)).not.toContain(dead.handle.workflowId);
    // What `sagent watch` and `sagent ledger` show of it (its replayed state included): no call awaits anyone.
    const view = await sagent.read(dead.handle.workflowId, { closedState: true });
    expect([view.execution, view.pendingApprovals, view.state?.pendingApprovals ?? 'no state']).toEqual(['TERMINATED', [], []]);

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

test("a stranger's 1.5 MB decide update is refused by the server itself, and the real decision then goes through", async () => {
  const { handle } = await pausedRun('flood');
  const {
    pendingApprovals: [charge],
  } = await handle.query(getStateQuery);
  // A stranger does not back off: no retry interceptor, so the server's own answer comes back at once.
  const connection = await Connection.connect({ address: harness!.temporal.address, interceptors: [] });
  try {
    const stranger = new Client({ connection, namespace: harness!.client.options.namespace }).workflow.getHandle(handle.workflowId);
    const junk = { callId: charge.callId, argsHash: charge.argsHash, decision: 'approve' as const, approver: 'mallory', reason: 'x'.repeat(1_500 * 1024) };
    const refused = await stranger.executeUpdate(decideUpdate, { args: [junk] }).then(
      () => new Error('accepted'),
      (err: Error) => err,
    );
    expect(refused.name).toBe('ServiceError');
    expect((refused as { cause?: Error }).cause?.message).toMatch(
      /RESOURCE_EXHAUSTED: limit on total payload size of in-flight updates has been reached \(1048576 bytes\)/,
    );
    // The junk never reached the worker: the run recorded no refusal, and the real decision is taken at once.
    expect((await handle.query(getStateQuery)).rejectedAttempts).toEqual([]);
    await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
    expect((await harness!.waitFor(handle, (state) => state.approvals.length > 0)).approvals.map((approval) => approval.approver)).toEqual(['ana']);
  } finally {
    await connection.close();
    await handle.terminate('checked').catch(() => undefined);
  }
});

/** What the UI persists when an operator adds columns (the table's column settings), for the default namespace. */
const COLUMNS_KEY = 'namespace-workflow-table-columns';
const DEFAULT_COLUMNS = ['Status', 'Workflow ID', 'Run ID', 'Type', 'Start', 'End'];

/** The workflow list for `query` (or at `url`): its column headers, and each listed run's cells by header. */
async function readList(page: Page, query: string | null, ids: string[], screenshotName: string, url = listUrl(uiUrl, query ?? '')) {
  await page.goto(url, { waitUntil: 'networkidle', timeout: 30_000 });
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

/** The operator's step, in the UI's own column settings (bottom right of the table): add sagent's two columns. */
async function addAgentColumns(page: Page): Promise<void> {
  await page.getByTestId('workflows-summary-table-configuration-button').click();
  for (const label of AGENT_COLUMNS) await page.getByTestId(`orderable-list-item-${label}-add-button`).click();
  await page.getByTestId('drawer-close-button').click();
}

const AGENT_COLUMNS = ['AgentStatus', 'AgentPendingApprovals'];

test('the workflow list tells completed, compensated, blocked and terminated-while-pending runs apart: Status alone for some, the columns and views the README has operators add for all', async () => {
  const stamp = Date.now();
  const completed = await harness!.start(`ui-list-done-${stamp}`, { agent: 'travel', task: 'Book nothing' });
  const compensated = await harness!.start(`ui-list-undo-ok-${stamp}`, { agent: 'travel', task: 'Book a trip to Paris' });
  const blockedId = `ui-list-undo-stuck-${stamp}`;
  await addFault(harness!.services.url, { path: '/effects/undo', keyPrefix: `${blockedId}/effect-1`, mode: 'error5xx', status: 503 });
  const blocked = await harness!.start(blockedId, { agent: 'travel', task: 'Book a trip to Paris', blockAfterCompensationFailures: 1 });
  const terminated = await pausedRun('list-dead');
  await terminated.handle.terminate('operator gave up');
  const waiting = await pausedRun('list-live');
  const page = await browser!.context.newPage();
  try {
    expect((await outcomeOf(completed)).status).toBe('completed');
    expect((await outcomeOf(compensated)).status).toBe('compensated');
    await harness!.waitFor(blocked, (s) => s.status === 'blocked');
    const ids = [completed, compensated, blocked, terminated.handle].map((handle) => handle.workflowId);
    const ours = `WorkflowId IN (${[...ids, waiting.handle.workflowId].map((id) => `'${id}'`).join(', ')})`;
    const query = `${ours} AND AgentStatus IN ('completed', 'compensated', 'blocked', 'awaiting_approval')`;
    // Visibility is eventually consistent: the query names the outcomes, so the list is read once all five are indexed.
    for (const deadline = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 200))) {
      let listed = 0;
      for await (const _ of harness!.client.workflow.list({ query })) listed += 1;
      if (listed === ids.length + 1) break;
      if (Date.now() > deadline) throw new Error(`the server listed ${listed} of the five runs for ${query}`);
    }

    // The default columns show Temporal's status only: a rollback is Completed like a success (README, "What the list's default columns cannot tell you").
    await page.goto(uiUrl, { waitUntil: 'load', timeout: 30_000 });
    await page.evaluate(`localStorage.removeItem('${COLUMNS_KEY}')`);
    const plain = await readList(page, query, ids, 'list-default-columns');
    expect(plain.headers).toEqual(DEFAULT_COLUMNS);
    expect(ids.map((id) => plain.byId.get(id)?.Status)).toEqual(['Completed', 'Completed', 'Running', 'Terminated']);

    // The operator adds sagent's columns in the UI's column settings, as the README says: each outcome reads apart.
    await addAgentColumns(page);
    const viewed = await readList(page, query, ids, 'list-agent-status');
    expect(viewed.headers).toEqual([...DEFAULT_COLUMNS, ...AGENT_COLUMNS]);
    expect(ids.map((id) => [viewed.byId.get(id)?.Status, viewed.byId.get(id)?.AgentStatus, viewed.byId.get(id)?.AgentPendingApprovals])).toEqual([
      ['Completed', 'completed', '0'],
      ['Completed', 'compensated', '0'],
      ['Running', 'blocked', '0'],
      // Terminated while it asked: the attribute stays, and Status says nobody will ever act on it.
      ['Terminated', 'awaiting_approval', '1'],
    ]);

    // Each of the README's views (a saved view, or its link) lists its own run alone, and the live paused run is the only one waiting.
    const expected: Record<string, string[]> = {
      'Waiting for a decision': [waiting.handle.workflowId],
      'Blocked: an undo needs an operator': [blocked.workflowId],
      'Rolled back': [compensated.workflowId],
      Completed: [completed.workflowId],
      'Ended without an outcome (terminated, timed out)': [terminated.handle.workflowId],
    };
    expect(LIST_VIEWS.map((view) => view.name)).toEqual(Object.keys(expected));
    for (const [index, view] of LIST_VIEWS.entries()) {
      const url = listViewUrl(uiUrl, 'default', `${view.query} AND ${ours}`);
      const listed = await readList(page, null, expected[view.name], `list-view-${index + 1}`, url);
      expect([view.name, [...listed.byId.keys()].sort()]).toEqual([view.name, [...expected[view.name]].sort()]);
    }
  } finally {
    await page.evaluate(`localStorage.removeItem('${COLUMNS_KEY}')`).catch(() => undefined);
    await page.close();
    await fetch(`${harness!.services.url}/_faults`, { method: 'DELETE' });
    await blocked.terminate('checked').catch(() => undefined);
    await waiting.handle.terminate('checked').catch(() => undefined);
  }
});
