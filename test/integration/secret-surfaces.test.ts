/**
 * No secret where the Web UI shows a run without the codec, and puts it in URLs: the demo's happy trip (the trip agent
 * delegating payment to its payments sub-agent) started as the demo starts it; neither the parent's nor the child's
 * summary, details, search attributes, memo or workflow id holds the card number or the e-mail address.
 */
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { SagentClient } from '../../src/client';
import { loadScenarioDir } from '../../src/dev/scenario';
import { occurrences } from '../helpers/canaries';
import { startHarness, type Harness } from '../helpers/harness';

// The workflow bundle alone takes a minute on a busy 2-core machine.
jest.setTimeout(180_000);
/** Setup bundles the workflows: minutes when the machine is shared and busy. */
const SETUP_TIMEOUT_MS = 600_000;

/** The demo's own task for the happy trip, whose card and address the scripted delegation repeats to the child. */
const TASK =
  'Book a trip to Lisbon for Ada Lovelace, flying from London on 2026-05-14 and back on 2026-05-17: a flight, a hotel ' +
  'and a rental car. Charge card 4242 4242 4242 4242 for the total, then email the confirmation to ada@example.com.';
const CANARIES = ['4242 4242 4242 4242', '4242424242424242', 'ada@example.com'];

let harness: Harness;
let sagent: SagentClient;

beforeAll(async () => {
  harness = await startHarness('secret-surfaces', loadScenarioDir(path.resolve(__dirname, '../../src/demo/scenarios')));
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
}, SETUP_TIMEOUT_MS);
afterAll(() => harness?.stop());

/** What the UI shows of a run without the codec: its id, summary, details, search attributes and memo. */
async function surfaces(handle: WorkflowHandle): Promise<string> {
  const description = await handle.describe();
  return JSON.stringify({
    workflowId: description.workflowId,
    summary: await description.staticSummary(),
    details: await description.staticDetails(),
    searchAttributes: description.searchAttributes,
    memo: description.memo,
  });
}

test("no canary in the summary, details, search attributes, memo or id of the demo's trip or its payments sub-agent", async () => {
  const { workflowId } = await sagent.start(
    { agent: 'trip', task: TASK, approval: { approvers: ['ana'] } },
    { workflowId: `happy-trip-secrets-${Date.now()}` },
  );
  const parent = harness.client.workflow.getHandle(workflowId);
  const state = await harness.waitFor(parent, (s) => (s.delegations ?? []).some((delegation) => delegation.pendingApprovals.length > 0), 90_000);
  const child = harness.client.workflow.getHandle(state.delegations![0].workflowId);
  try {
    for (const handle of [parent, child]) {
      const shown = await surfaces(handle);
      expect(shown).toContain(handle.workflowId);
      expect(occurrences(shown, CANARIES)).toEqual(Object.fromEntries(CANARIES.map((canary) => [canary, 0])));
    }
    // The summary still says what the run is: the parent's task with the card and the address masked.
    expect(await (await parent.describe()).staticSummary()).toMatch(/^trip: .*Book a trip to Lisbon/);
    expect(await (await child.describe()).staticSummary()).toMatch(/^payments, delegated by trip/);
  } finally {
    await parent.terminate('checked');
  }
});
