/**
 * Every committed history replays against today's workflow code. A change that breaks one must use
 * `patched()` (DESIGN.md, guarantee 8) or, for a deliberate break, capture the fixtures again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { FIXTURE_DIR, WORKFLOW_IDS_FILE } from './helpers/fixtures';
import { installQuietRuntime, workflowBundle } from './helpers/harness';

installQuietRuntime();

const workflowIds: Record<string, string> = fs.existsSync(WORKFLOW_IDS_FILE) ? JSON.parse(fs.readFileSync(WORKFLOW_IDS_FILE, 'utf8')) : {};
const fixtures = Object.keys(workflowIds).sort();

test('replay fixtures are committed for every workflow shape', () => {
  const shapes = new Set(fixtures.map((name) => name.split('.')[0]));
  const expected = [
    'slice', 'happy-trip', 'unlucky-trip', 'parallel', 'bad-input', 'budget-aborted', 'budget-topped-up', 'long-run',
    'approval-rejected', 'approval-expired', 'approval-edited', 'approval-parallel', 'approval-continued-as-new', 'approval-signed',
    'saga-critical-failure', 'saga-cancelled', 'saga-blocked-then-retried', 'saga-skipped', 'mcp-rollback',
    'reconcile-retried', 'reconcile-unresolved', 'repeat-answered', 'repeat-stuck', 'approval-after-budget',
    'delegation-aborted', 'delegation-aborted-child', 'delegation-budget', 'delegation-budget-child', 'long-compacted',
    'breaker-board',
  ];
  for (const shape of expected) expect(shapes).toContain(shape);
});

test.each(fixtures)('%s replays deterministically', async (name) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, name), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowIds[name]);
});
