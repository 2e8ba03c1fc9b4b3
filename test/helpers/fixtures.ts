/**
 * Replay fixtures: histories captured from the integration tests, committed under test/fixtures/histories
 * and replayed by test/replay/replay.test.ts. Set SAGENT_UPDATE_FIXTURES=1 to capture them again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { decodeHistory } from '../../src/codec/history';

export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
/** Effect ids and approval hashes derive from the workflow id, so a replay must use the original one. */
export const WORKFLOW_IDS_FILE = path.join(FIXTURE_DIR, 'workflow-ids.json');

export async function readWorkflowIds(): Promise<Record<string, string>> {
  try {
    return JSON.parse(await fs.readFile(WORKFLOW_IDS_FILE, 'utf8'));
  } catch {
    return {};
  }
}

/** Saves the run's history (each run of a continue-as-new chain in its own file) when capturing is on. */
export async function captureFixture(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.SAGENT_UPDATE_FIXTURES !== '1') return;
  await fs.mkdir(FIXTURE_DIR, { recursive: true });
  const first = (handle as { firstExecutionRunId?: string }).firstExecutionRunId;
  let runId: string | undefined = first ?? (await handle.describe()).runId;
  const histories = [];
  while (runId) {
    const history = await decodeHistory(await handle.client.getHandle(handle.workflowId, runId).fetchHistory(), handle.client.options.loadedDataConverter);
    histories.push(history);
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  const ids = await readWorkflowIds();
  for (const [index, history] of histories.entries()) {
    const file = `${name}${histories.length > 1 ? `.run${index + 1}` : ''}.json`;
    await fs.writeFile(path.join(FIXTURE_DIR, file), historyToJSON(history));
    ids[file] = handle.workflowId;
  }
  const sorted = Object.fromEntries(Object.entries(ids).sort(([a], [b]) => a.localeCompare(b)));
  await fs.writeFile(WORKFLOW_IDS_FILE, JSON.stringify(sorted, null, 2) + '\n');
}
