/**
 * Approving from the Temporal Web UI by copy and paste, as a person would: a real headless Chromium reads the
 * ready-to-paste `decide` payload from a waiting run's current details, opens "More Actions" → "Send an Update",
 * picks `decide` (whose description the picker shows), pastes the payload and sends it; the charge then runs, in
 * the run and in the demo services' own ledger. Needs Debian's Chromium. Screenshots land in test/artifacts/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { MESSAGE_DESCRIPTIONS } from '../../src/workflows/message-descriptions';
import { getStateQuery } from '../../src/shared/contracts';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { runLedger } from '../helpers/services';
import { ARTIFACTS_DIR, launchBrowser, workflowUrl } from './window';
import { chargeOnceScenario } from '../helpers/scenarios';

// About 15 s on an idle 2-core machine.
jest.setTimeout(60_000);

const CHARGE = { amountCents: 1900, currency: 'EUR', card: '4242424242424242', description: 'Pasted in the UI' };
const chargeOnce = chargeOnceScenario('ui-paste', 'ui-paste-', CHARGE);

let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let harness: Harness | undefined;
let uiUrl: string;

beforeAll(async () => {
  browser = await launchBrowser();
  uiUrl = process.env.SAGENT_TEST_TEMPORAL_UI ?? '';
  if (!uiUrl) throw new Error('SAGENT_TEST_TEMPORAL_UI is not set: run with `npm test`, or set it with SAGENT_TEST_TEMPORAL_ADDRESS');
  harness = await startHarness('ui-paste', [chargeOnce]);
});

afterAll(async () => {
  await browser?.close();
  await harness?.stop();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `ui-${name}.png`), fullPage: true });
}

test('a decide payload copied from the current details into "Send an Update" lets the charge run', async () => {
  // Approvers named without keys: a pasted, unsigned payload is a valid decision.
  const handle = await harness!.start(`ui-paste-${Date.now()}`, { agent: 'travel', task: 'Charge my card', approval: { approvers: ['ana'] } });
  await harness!.waitFor(handle, (s) => s.status === 'awaiting_approval');
  const { runId } = await handle.describe();
  const page = await browser!.context.newPage();
  await browser!.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(uiUrl).origin });

  // The current details, rendered as Markdown in an iframe: the payload is the code block naming a decision.
  await page.goto(workflowUrl(uiUrl, handle.workflowId, runId, 'user-metadata'), { waitUntil: 'load', timeout: 30_000 });
  const details = page.frameLocator('iframe[title="output"]');
  const payloadBlock = details.locator('pre code').filter({ hasText: '"decision"' });
  await payloadBlock.waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot(page, 'paste-details');
  const copied = await payloadBlock.innerText();
  const payload = JSON.parse(copied) as Record<string, string>;
  expect(payload).toMatchObject({ callId: 'call-1', decision: 'approve', approver: 'ana' });
  expect(payload.argsHash).toMatch(/^[0-9a-f]{64}$/);
  // The details show the input masked, never the card number.
  expect(await details.locator('body').innerText()).not.toContain(CHARGE.card);

  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: 'Send an Update' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'Send an Update' }).waitFor({ state: 'visible' });
  await dialog.getByTestId('update-select-button').click();
  const decide = dialog.getByRole('option', { name: /^decide/ });
  // The picker lists each update with its description and payload template.
  await expect(decide.innerText()).resolves.toContain(MESSAGE_DESCRIPTIONS.decide);
  await screenshot(page, 'paste-picker');
  await decide.click();

  // A real paste into the Data editor, from the clipboard the person copied to.
  // Evaluated in the page (this file is typed for Node, without `navigator`).
  await page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(copied)})`);
  const editor = dialog.getByRole('textbox', { name: 'Data' });
  await editor.click();
  await page.keyboard.press('Control+V');
  expect(JSON.parse(await editor.innerText())).toEqual(payload);
  await screenshot(page, 'paste-dialog');
  await dialog.getByTestId('confirm-modal-button').click();
  await page.getByText('Update successful').first().waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot(page, 'paste-sent');

  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  expect(outcome.approvals).toEqual([expect.objectContaining({ callId: 'call-1', decision: 'approve', approver: 'ana', argsHash: payload.argsHash })]);
  expect(outcome.effects.map((e) => [e.tool, e.state])).toEqual([['charge_card', 'committed']]);
  const state = await handle.query(getStateQuery);
  expect(state.rejectedAttempts).toEqual([]);
  // The payments service's own record of the charge, keyed by the run's effect.
  const ledger = await runLedger(harness!.services.url, handle.workflowId);
  expect(ledger.effects).toEqual([expect.objectContaining({ key: `${handle.workflowId}/effect-1`, operation: 'charge', state: 'active' })]);
  await page.close();
});
