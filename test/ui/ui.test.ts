/**
 * The Temporal Web UI is the user's window (DESIGN.md): a real headless Chromium opens the test server's UI and reads
 * the summaries of a rolled-back saga, the list of runs awaiting approval and a paused run's current details.
 * Needs Debian's Chromium (`apt-get install -y chromium`); without it these tests fail, they never skip.
 * Screenshots land in test/artifacts/ui-*.png.
 */
import { loadScenarioDir } from '../../src/dev/scenario';
import { startHarness, type Harness } from '../helpers/harness';
import { prepareRuns, UI_CHECKS, type UiContext } from './checks';
import { launchBrowser } from './window';

jest.setTimeout(60_000);

let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let harness: Harness | undefined;
let ctx: UiContext;

beforeAll(async () => {
  // First, so a missing Chromium fails in a second with the command that installs it.
  browser = await launchBrowser();
  const uiUrl = process.env.SAGENT_TEST_TEMPORAL_UI;
  if (!uiUrl) throw new Error('SAGENT_TEST_TEMPORAL_UI is not set: run with `npm test`, or set it with SAGENT_TEST_TEMPORAL_ADDRESS');
  harness = await startHarness('ui', loadScenarioDir('src/demo/scenarios'));
  const runs = await prepareRuns(harness);
  ctx = { page: await browser.context.newPage(), uiUrl, runs };
});

afterAll(async () => {
  // The paused run would otherwise wait a day for its approval on a server other tests share.
  await ctx?.runs.paused.handle.terminate('UI checks done').catch(() => undefined);
  await browser?.close();
  await harness?.stop();
});

for (const check of UI_CHECKS) {
  test(check.name, async () => {
    await check.run(ctx);
  });
}
