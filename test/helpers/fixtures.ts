/**
 * Replay fixtures: histories captured from the integration tests, committed under test/fixtures/histories and
 * replayed by test/replay/replay.test.ts. Set SAGENT_UPDATE_FIXTURES=1 to capture them again: they land at the top of
 * test/fixtures/histories (the histories of the next release), and `npm run fixtures:release` moves them into
 * `releases/<package version>/`, the corpus of that release, which every later version must replay.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** The corpus of each released version, by version: `test/fixtures/histories/releases/<version>/`. */
export const RELEASES_DIR = path.join(FIXTURE_DIR, 'releases');
const IDS_FILE_NAME = path.basename(WORKFLOW_IDS_FILE);

/** One committed history: where it lies, the workflow id it ran under, and the release that recorded it. */
export interface CorpusFixture {
  /** `0.1.0/happy-trip.json`, or `unreleased/x.json` for a history at the top of the fixtures folder. */
  name: string;
  file: string;
  workflowId: string | undefined;
  release: string;
}

/**
 * Every committed history: each release's corpus, and the histories at the top of the fixtures folder that no
 * release holds yet. A history without a workflow id in its folder's `workflow-ids.json` has `workflowId` undefined.
 */
export function corpusFixtures(): CorpusFixture[] {
  const folders = [
    ...(existsSync(RELEASES_DIR)
      ? readdirSync(RELEASES_DIR)
          .sort(compareVersions)
          .map((release) => ({ release, dir: path.join(RELEASES_DIR, release) }))
      : []),
    { release: 'unreleased', dir: FIXTURE_DIR },
  ];
  return folders.flatMap(({ release, dir }) => {
    const idsFile = path.join(dir, IDS_FILE_NAME);
    const ids: Record<string, string> = existsSync(idsFile) ? JSON.parse(readFileSync(idsFile, 'utf8')) : {};
    return readdirSync(dir)
      .filter((file) => file.endsWith('.json') && file !== IDS_FILE_NAME)
      .sort()
      .map((file) => ({ name: `${release}/${file}`, file: path.join(dir, file), workflowId: ids[file], release }));
  });
}

/** `0.2.0` before `0.10.0`. */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
