/**
 * `npm run test:ui`: the Temporal Web UI checks of ui.test.ts without jest, printing what each page showed. Uses the
 * server named by SAGENT_TEST_TEMPORAL_ADDRESS + SAGENT_TEST_TEMPORAL_UI, or starts a throwaway dev server like the
 * test suite does. Exit code 0 when every check passes, 1 otherwise.
 */
import path from 'node:path';
import globalSetup from '../global-setup';
import globalTeardown from '../global-teardown';
import { loadScenarioDir } from '../../src/dev/scenario';
import { startHarness } from '../helpers/harness';
import { prepareRuns, UI_CHECKS } from './checks';
import { ARTIFACTS_DIR, launchBrowser } from './window';

async function run(): Promise<number> {
  const browser = await launchBrowser();
  let failures = 0;
  try {
    if (!process.env.SAGENT_TEST_TEMPORAL_ADDRESS) await globalSetup();
    const uiUrl = process.env.SAGENT_TEST_TEMPORAL_UI;
    if (!uiUrl) throw new Error('SAGENT_TEST_TEMPORAL_UI is not set: set it to the Web UI of SAGENT_TEST_TEMPORAL_ADDRESS');
    const harness = await startHarness('ui-check', loadScenarioDir(path.resolve(__dirname, '../../src/demo/scenarios')));
    try {
      const runs = await prepareRuns(harness);
      const ctx = { page: await browser.context.newPage(), uiUrl, runs };
      for (const check of UI_CHECKS) {
        try {
          console.log(`ok    ${check.name}\n      ${await check.run(ctx)}`);
        } catch (err) {
          failures++;
          console.log(`FAIL  ${check.name}\n      ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      console.log(`screenshots in ${path.relative(process.cwd(), ARTIFACTS_DIR)}/ui-*.png`);
      await runs.paused.handle.terminate('UI checks done');
    } finally {
      await harness.stop();
    }
  } finally {
    await browser.close();
    await globalTeardown();
  }
  return failures === 0 ? 0 : 1;
}

run().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
