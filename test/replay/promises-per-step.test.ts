/**
 * The SDK's promise hook captures and source-maps a stack for every promise workflow code creates: on the path every
 * step takes, promises are most of what sagent's loop costs the workflow thread beyond a plain chain of activities.
 * This counts them while a committed 100-step history replays (each step: one model call, one read), so a change
 * that adds an async layer or an await to the step's path fails here, not only in a benchmark's figure.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { installQuietRuntime, workflowBundle } from '../helpers/harness';

installQuietRuntime();

const RELEASE = path.join(__dirname, '..', 'fixtures', 'histories', 'releases', '0.1.0');
const FIXTURE = 'long-run.run1.json';

/**
 * Per step on the loop's path: the SDK's two for each of the two activities and the loop's await of each, as many as
 * a plain chain of the same activities makes (six); each call's stages continue in place (`Pending.begin`/`resume`).
 */
const MOST_PER_STEP = 6.5;

function inWorkflowContext(promise: Promise<unknown>): boolean {
  const realmFunction = promise.constructor.constructor as FunctionConstructor;
  return realmFunction('return globalThis.__TEMPORAL_ACTIVATOR__')() !== undefined;
}

test(`a step of the loop creates at most ${MOST_PER_STEP} promises in workflow code`, async () => {
  const bundle = await workflowBundle();
  const ids = JSON.parse(fs.readFileSync(path.join(RELEASE, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(RELEASE, FIXTURE), 'utf8')));
  const steps = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'callModel').length;
  let counting = false;
  let created = 0;
  const hook = v8.promiseHooks.createHook({
    init(promise) {
      // Only promises of a workflow context (the ones the SDK's hook takes a stack for), found as its hook finds them.
      if (counting && inWorkflowContext(promise)) created += 1;
    },
  });
  try {
    counting = true;
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, ids[FIXTURE]);
  } finally {
    counting = false;
    hook();
  }
  expect(steps).toBe(100);
  // Seen before the loop's read path lost its async layer: 10.21; with a continuation a call: 8.21; now 6.21.
  expect(created / steps).toBeGreaterThan(4);
  expect(created / steps).toBeLessThanOrEqual(MOST_PER_STEP);
});
