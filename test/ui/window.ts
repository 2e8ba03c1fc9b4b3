/**
 * The Temporal Web UI read with a real headless Chromium: the browser, and one function per page that returns what
 * the page shows (and saves a screenshot of it to test/artifacts/).
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium; `SAGENT_CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.SAGENT_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.resolve(__dirname, '../artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
/** How long one page may take to show what we look for (the UI renders the timeline after its requests settle). */
const RENDER_TIMEOUT_MS = 15_000;

export class ChromiumMissingError extends Error {
  override name = 'ChromiumMissingError' as const;
}

/** A headless Chromium with a throwaway profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new ChromiumMissingError(
      `no Chromium at ${CHROMIUM_PATH}: the Temporal UI tests need it; install it with ` +
        '`apt-get update && apt-get install -y chromium` (or set SAGENT_CHROMIUM_PATH)',
    );
  }
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1200 },
    timeout: 30_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

export function workflowUrl(uiUrl: string, workflowId: string, runId?: string, tab?: 'timeline' | 'history' | 'user-metadata'): string {
  const base = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
  return runId && tab ? `${base}/${encodeURIComponent(runId)}/${tab}` : base;
}

export function listUrl(uiUrl: string, query: string): string {
  return `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
}

/**
 * Loads a page (unless `url` is null: the page as it is) and waits until `marker` is visible, then saves a screenshot
 * to test/artifacts/ui-<name>.png.
 * A running workflow's page keeps polling, so it never reaches network idle: `settle: 'load'` for those.
 */
async function show(page: Page, url: string | null, marker: Locator, screenshot: string, settle: 'networkidle' | 'load' = 'networkidle') {
  if (url !== null) await page.goto(url, { waitUntil: settle, timeout: 30_000 });
  await marker.first().waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `ui-${screenshot}.png`), fullPage: true });
}

/** Every text on the page matching `pattern`, in document order. */
async function textsMatching(page: Page, pattern: RegExp): Promise<string[]> {
  const texts = await page.getByText(pattern).allInnerTexts();
  return texts.map((text) => text.trim());
}

/** The run's default page (its Timeline): the activity rows, labelled "<activity type> • <summary>". */
export async function readTimeline(page: Page, uiUrl: string, workflowId: string, marker: string) {
  await show(page, workflowUrl(uiUrl, workflowId), page.getByText(marker), 'timeline');
  return { url: page.url(), rows: await textsMatching(page, /^\w+ • .+/) };
}

/**
 * The run's Event History tab in its Compact view (one row per activity, newest first): the Summary of each
 * activity, in the order shown.
 */
export async function readEventHistory(page: Page, uiUrl: string, workflowId: string, runId: string, marker: string) {
  await page.goto(workflowUrl(uiUrl, workflowId, runId, 'history'), { waitUntil: 'networkidle', timeout: 30_000 });
  // The All view shows the same summaries, one row per event: switch only once it is there, and wait until it is gone.
  const allView = page.getByText('Activity Task Scheduled').first();
  await allView.waitFor({ state: 'visible', timeout: RENDER_TIMEOUT_MS });
  await page.getByText('Compact', { exact: true }).first().click();
  await allView.waitFor({ state: 'detached', timeout: RENDER_TIMEOUT_MS });
  await show(page, null, page.getByText(marker), 'history');
  return { url: page.url(), summaries: await textsMatching(page, / · (effect|turn) \d+$/) };
}

/** The workflow list filtered by a visibility query: the workflow ids it shows. */
export async function readWorkflowList(page: Page, uiUrl: string, query: string, marker: string, screenshot: string) {
  await show(page, listUrl(uiUrl, query), page.getByText(marker), screenshot);
  const ids = await page
    .locator('table tbody tr')
    .evaluateAll((rows) => rows.map((row) => row.querySelector('a[href*="/workflows/"]')?.textContent?.trim() ?? ''));
  return { url: page.url(), workflowIds: ids.filter(Boolean) };
}

/** The run's User Metadata tab: its current details, which the UI renders as markdown in an iframe. */
export async function readCurrentDetails(page: Page, uiUrl: string, workflowId: string, runId: string, marker: string) {
  const details = page.frameLocator('iframe[title="output"]');
  await show(page, workflowUrl(uiUrl, workflowId, runId, 'user-metadata'), details.getByText(marker), 'current-details', 'load');
  return { url: page.url(), text: (await details.locator('body').innerText()).replace(/\n+/g, '\n').trim() };
}
