/**
 * What a user must see of sagent in the Temporal Web UI (DESIGN.md, "the user's window"), as checks shared by
 * `ui.test.ts` (jest) and `ui-check.ts` (`npm run test:ui`). Each check reads one page and throws when the page does
 * not show what it should; it returns one line saying what it saw.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { DEFAULT_MODEL } from '../../src/shared/constants';
import { decideUpdate, type EffectRecord, type RunOutcome } from '../../src/shared/contracts';
import { outcomeOf, type Harness } from '../helpers/harness';
import { PENDING_QUERY as PENDING_RUNS_QUERY } from '../../src/operations/approvals';
import { readCurrentDetails, readEventHistory, readTimeline, readWorkflowList } from './window';

/** The query people type to find the runs waiting for them (README): live runs only, a terminated one keeps its attribute. */
export const PENDING_QUERY = PENDING_RUNS_QUERY;

/** The two runs the checks look at. */
export interface UiRuns {
  /** The unlucky trip: the charge was approved, the card declined, every booking undone. */
  finished: { handle: WorkflowHandle; runId: string; outcome: RunOutcome };
  /** The happy trip, paused at the approval of its charge. */
  paused: { handle: WorkflowHandle; runId: string };
}

export interface UiContext {
  page: Page;
  uiUrl: string;
  runs: UiRuns;
}

export interface UiCheck {
  name: string;
  run(ctx: UiContext): Promise<string>;
}

/** Runs the unlucky trip to its end and the happy trip to its approval, both on the harness's worker. */
export async function prepareRuns(harness: Harness): Promise<UiRuns> {
  const stamp = Date.now();
  const finished = await harness.start(`unlucky-ui-${stamp}`, { agent: 'travel', task: 'Plan my trip to Porto', approval: { approvers: ['ana'] } });
  const paused = await harness.start(`happy-ui-${stamp}`, {
    agent: 'travel',
    task: 'Plan my trip to Lisbon',
    approval: { approvers: ['ana'] },
  });
  const waiting = await harness.waitFor(finished, (s) => s.status === 'awaiting_approval');
  const charge = waiting.pendingApprovals[0];
  await finished.executeUpdate(decideUpdate, {
    args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }],
  });
  const outcome = await outcomeOf(finished);
  assert.equal(outcome.status, 'compensated', 'the unlucky trip should end compensated');
  await harness.waitFor(paused, (s) => s.status === 'awaiting_approval');
  await waitForVisibility(harness, finished.workflowId, paused.workflowId);
  return {
    finished: { handle: finished, runId: (await finished.describe()).runId, outcome },
    paused: { handle: paused, runId: (await paused.describe()).runId },
  };
}

/** Visibility is eventually consistent: wait until the server itself lists the paused run alone, before a browser asks. */
async function waitForVisibility(harness: Harness, finishedId: string, pausedId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let listed = new Set<string>();
  while (Date.now() < deadline) {
    listed = new Set<string>();
    for await (const run of harness.client.workflow.list({ query: PENDING_QUERY })) listed.add(run.workflowId);
    if (listed.has(pausedId) && !listed.has(finishedId)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the server never listed ${pausedId} without ${finishedId} under "${PENDING_QUERY}" (last: ${[...listed].join(', ')})`);
}

/** The summaries the workflow gives a run's activities (workflows/agent-saga.ts), in the order they ran. */
export function expectedSummaries(outcome: RunOutcome, model = DEFAULT_MODEL) {
  const undone = outcome.effects.filter((e) => e.compensation === 'compensated');
  return {
    model: Array.from({ length: outcome.steps }, (_, i) => `${model} · turn ${i + 1}`),
    effects: outcome.effects.map((e: EffectRecord) => `${e.tool} · effect ${e.seq}`),
    // Rolled back newest-first.
    undo: [...undone].sort((a, b) => b.seq - a.seq).map((e) => `undo ${e.tool} (${e.undo}) · effect ${e.seq}`),
  };
}

export const UI_CHECKS: UiCheck[] = [
  {
    name: "the finished saga's timeline labels each model call, tool effect and undo with its summary",
    async run({ page, uiUrl, runs }) {
      const expected = expectedSummaries(runs.finished.outcome);
      const { url, rows } = await readTimeline(page, uiUrl, runs.finished.handle.workflowId, 'book_hotel · effect 2');
      assert.match(url, /\/timeline$/, 'a run opens on its Timeline');
      const wanted = [
        ...expected.model.map((s) => `callModel • ${s}`),
        ...expected.effects.map((s) => `runTool • ${s}`),
        ...expected.undo.map((s) => `compensate • ${s}`),
      ];
      const missing = wanted.filter((row) => !rows.includes(row));
      assert.deepEqual(missing, [], `timeline rows lack these summaries; it shows:\n${rows.join('\n')}`);
      return `${rows.length} timeline rows, e.g. "${rows.find((r) => r.includes('book_hotel'))}", "${rows.find((r) => r.startsWith('compensate'))}"`;
    },
  },
  {
    name: 'its event history shows the summaries, with the undos newest effect first',
    async run({ page, uiUrl, runs }) {
      const expected = expectedSummaries(runs.finished.outcome);
      const { handle, runId } = runs.finished;
      const { summaries } = await readEventHistory(page, uiUrl, handle.workflowId, runId, expected.undo[0]);
      // The Event History lists activities newest first.
      const chronological = [...summaries].reverse();
      assert.deepEqual(
        chronological.filter((s) => s.startsWith('undo ')),
        expected.undo,
      );
      const missing = [...expected.model, ...expected.effects].filter((s) => !summaries.includes(s));
      assert.deepEqual(missing, [], `event history lacks these summaries; it shows:\n${summaries.join('\n')}`);
      return `${summaries.length} summaries; undone in order: ${expected.undo.join(', ')}`;
    },
  },
  {
    name: `the workflow list filtered by "${PENDING_QUERY}" shows the paused run, not the finished one`,
    async run({ page, uiUrl, runs }) {
      const pausedId = runs.paused.handle.workflowId;
      const finishedId = runs.finished.handle.workflowId;
      const { url, workflowIds } = await readWorkflowList(page, uiUrl, PENDING_QUERY, pausedId, 'pending');
      assert.ok(new URL(url).searchParams.get('query') === PENDING_QUERY, `the list kept the query in its URL (${url})`);
      assert.ok(workflowIds.includes(pausedId), `the list should show ${pausedId}; it shows ${workflowIds.join(', ')}`);
      assert.ok(!workflowIds.includes(finishedId), `the list should not show the finished ${finishedId}`);
      return `${workflowIds.length} run(s) listed, including ${pausedId}`;
    },
  },
  {
    name: "the paused run's current details say which call awaits approval",
    async run({ page, uiUrl, runs }) {
      const { handle, runId } = runs.paused;
      const { text } = await readCurrentDetails(page, uiUrl, handle.workflowId, runId, 'awaiting approval: charge_card');
      assert.match(text, /awaiting_approval · step \d+/);
      assert.match(text, /awaiting approval: charge_card .*\(call-\d+, expires /);
      return text.split('\n')[0];
    },
  },
];
