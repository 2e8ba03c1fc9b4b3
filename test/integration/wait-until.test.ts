/**
 * `waitUntil` stands in for the SDK's `condition(fn, timeout, options)` in the approval wait, on the promise that it
 * issues the same commands in the same order: a history the SDK's timed condition recorded must replay on it, and it
 * must end each case as the SDK's does. Three cases, each run on both: decided before the timeout (the timer is
 * cancelled before the next command), the timeout (the timer fires), and the run cancelled while it waits.
 */
import type { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../helpers/harness';
import { testConnection, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';

installQuietRuntime();

type Case = 'decided' | 'expired' | 'cancelled';
type Ending = { met: boolean } | { failure: string };

interface Recorded {
  ending: Ending;
  /** The events the wait's commands and the timer after it leave, in order, and how the run closed. */
  timerEvents: string[];
  history: temporal.api.history.v1.IHistory;
}

let server: TestTemporal;
const bundles: Record<'sdk' | 'lean', { code: string }> = {} as never;

beforeAll(async () => {
  server = await testConnection();
  for (const [name, file] of [
    ['sdk', '../fixtures/workflows/timed-wait-sdk'],
    ['lean', '../fixtures/workflows/timed-wait-lean'],
  ] as const) {
    bundles[name] = await bundleWorkflowCode({ workflowsPath: require.resolve(file), logger: new DefaultLogger('WARN') });
  }
}, 300_000);

afterAll(async () => {
  await server?.close();
});

const TIMER_EVENTS = /TIMER_|WORKFLOW_EXECUTION_(COMPLETED|CANCELED|FAILED)/;

async function waitForTimer(handle: WorkflowHandle): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const history = await handle.fetchHistory();
    if (history.events?.some((event) => event.timerStartedEventAttributes)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${handle.workflowId} started no timer`);
}

/** Runs one case on one bundle's worker, and records how it ended and what it left in history. */
async function record(bundle: 'sdk' | 'lean', which: Case): Promise<Recorded> {
  const taskQueue = uniqueTaskQueue(`wait-until-${bundle}`);
  const worker = await Worker.create({ connection: server.nativeConnection, namespace: server.namespace, taskQueue, workflowBundle: bundles[bundle] });
  return worker.runUntil(async () => {
    const handle = await server.client.workflow.start('timedWait', {
      taskQueue,
      workflowId: `${taskQueue}-${which}`,
      args: [which === 'expired' ? 1_000 : 300_000],
    });
    if (which !== 'expired') await waitForTimer(handle);
    if (which === 'decided') await handle.signal('decide');
    if (which === 'cancelled') await handle.cancel();
    const ending: Ending = await handle.result().then(
      (met: boolean) => ({ met }),
      (err: WorkflowFailedError) => ({ failure: err.name === 'WorkflowFailedError' ? String(err.cause?.name) : String(err) }),
    );
    const history = await handle.fetchHistory();
    const timerEvents = (history.events ?? [])
      .map((event) => temporal.api.enums.v1.EventType[event.eventType ?? 0].replace(/^EVENT_TYPE_/, ''))
      .filter((type) => TIMER_EVENTS.test(type));
    return { ending, timerEvents, history };
  });
}

test.each<[Case, Ending, string[]]>([
  ['decided', { met: true }, ['TIMER_STARTED', 'TIMER_CANCELED', 'TIMER_STARTED', 'TIMER_FIRED', 'WORKFLOW_EXECUTION_COMPLETED']],
  ['expired', { met: false }, ['TIMER_STARTED', 'TIMER_FIRED', 'TIMER_STARTED', 'TIMER_FIRED', 'WORKFLOW_EXECUTION_COMPLETED']],
  ['cancelled', { failure: 'CancelledFailure' }, ['TIMER_STARTED', 'TIMER_CANCELED', 'WORKFLOW_EXECUTION_CANCELED']],
])('%s: waitUntil ends as the SDK timed condition does, and replays its history', async (which, ending, timerEvents) => {
  const sdk = await record('sdk', which);
  const lean = await record('lean', which);
  expect({ ending: sdk.ending, events: sdk.timerEvents }).toEqual({ ending, events: timerEvents });
  expect({ ending: lean.ending, events: lean.timerEvents }).toEqual({ ending, events: timerEvents });
  // The SDK's history on waitUntil's code: a command out of place fails the replay with a determinism error.
  await expect(Worker.runReplayHistory({ workflowBundle: bundles.lean }, sdk.history, `replay-${which}`)).resolves.toBeUndefined();
});
