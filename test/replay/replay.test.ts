/**
 * Every committed history replays against today's workflow code: the corpus of every released version
 * (test/fixtures/histories/releases/<version>) and the histories of the next release at the top of the folder. A
 * change that breaks one must use `patched()` (DESIGN.md, guarantee 8); a released history is never captured again.
 */
import fs from 'node:fs';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { corpusFixtures } from '../helpers/fixtures';
import { installQuietRuntime, workflowBundle } from '../helpers/harness';

installQuietRuntime();

const corpus = corpusFixtures();
const fixtures = corpus.map((fixture) => fixture.name);

test('every committed history names the workflow id it ran under', () => {
  const orphans = corpus.filter((fixture) => fixture.workflowId === undefined).map((fixture) => fixture.name);
  expect({ historiesWithoutWorkflowId: orphans, fix: 'add each to the workflow-ids.json of its folder' }).toEqual({
    historiesWithoutWorkflowId: [],
    fix: expect.any(String),
  });
});

test('the corpus of release 0.1.0 holds a history of every workflow shape', () => {
  const shapes = new Set(corpus.filter((fixture) => fixture.release === '0.1.0').map((fixture) => fixture.name.split('/')[1].split('.')[0]));
  const expected = [
    'slice',
    'happy-trip',
    'unlucky-trip',
    'parallel',
    'bad-input',
    'budget-aborted',
    'budget-topped-up',
    'long-run',
    'approval-rejected',
    'approval-expired',
    'approval-edited',
    'approval-parallel',
    'approval-continued-as-new',
    'approval-signed',
    'saga-critical-failure',
    'saga-cancelled',
    'saga-blocked-then-retried',
    'saga-skipped',
    'mcp-rollback',
    'reconcile-retried',
    'reconcile-unresolved',
    'repeat-answered',
    'repeat-stuck',
    'approval-after-budget',
    'delegation-aborted',
    'delegation-aborted-child',
    'delegation-budget',
    'delegation-budget-child',
    'long-compacted',
  ];
  for (const shape of expected) expect(shapes).toContain(shape);
});

test('the histories of the next release hold every shape this version added', () => {
  const shapes = new Set(corpus.filter((fixture) => fixture.release === 'unreleased').map((fixture) => fixture.name.split('/')[1].split('.')[0]));
  const expected = [
    'breaker-board',
    'model-outage-resumed',
    'model-fallback',
    'typed-output-reasked',
    'thinking-compacted',
    'steering-message',
    'conversation-aborted',
    'approval-signed-run',
    'lean-start',
  ];
  for (const shape of expected) expect(shapes).toContain(shape);
});

test.each(fixtures)('%s replays deterministically', async (name) => {
  const fixture = corpus.find((entry) => entry.name === name)!;
  const history = historyFromJSON(JSON.parse(fs.readFileSync(fixture.file, 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, fixture.workflowId);
});
