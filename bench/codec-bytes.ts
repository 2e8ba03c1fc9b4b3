/**
 * `npx tsx bench/codec-bytes.ts`: history bytes per step of one trip-shaped run (the happy trip: 5 model turns, 5
 * effects, 2 approvals) with the codec off and on, on a throwaway dev server. Prints one line per setting.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import globalSetup from '../test/global-setup';
import globalTeardown from '../test/global-teardown';
import { codecDataConverter } from '../src/codec/data-converter';
import { loadScenarios } from '../src/dev/scenario';
import { decideUpdate } from '../src/shared/contracts';
import { outcomeOf, startHarness } from '../test/helpers/harness';

const TASK = 'Book a trip to Lisbon for Ada Lovelace; charge card 4242 4242 4242 4242 and email ada@example.com.';

async function measure(label: string, codec: boolean): Promise<void> {
  const dataConverter = codec ? codecDataConverter({ SAGENT_CODEC_KEYS: `bench:${randomBytes(32).toString('base64')}` }) : undefined;
  const harness = await startHarness(`bench-codec-${label}`, loadScenarios(path.resolve(__dirname, '../src/demo/scenarios')), { dataConverter });
  try {
    const handle = await harness.start(`happy-bench-${label}-${Date.now()}`, { agent: 'travel', task: TASK, approval: { approvers: ['bench'] } });
    for (const tool of ['charge_card', 'send_email']) {
      const state = await harness.waitFor(handle, (s) => s.pendingApprovals[0]?.tool === tool);
      const request = state.pendingApprovals[0];
      await handle.executeUpdate(decideUpdate, { args: [{ callId: request.callId, argsHash: request.argsHash, decision: 'approve', approver: 'bench' }] });
    }
    const outcome = await outcomeOf(handle);
    const description = await handle.describe();
    const bytes = Number(description.historySize);
    console.log(`codec ${label}: ${outcome.steps} steps, ${description.historyLength} events, ${bytes} bytes, ${Math.round(bytes / outcome.steps)} B/step`);
  } finally {
    await harness.stop();
  }
}

async function run(): Promise<void> {
  await globalSetup();
  try {
    await measure('off', false);
    await measure('on', true);
  } finally {
    await globalTeardown();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
