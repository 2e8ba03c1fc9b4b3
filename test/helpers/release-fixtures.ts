/**
 * `npm run fixtures:release`: the histories at the top of test/fixtures/histories join the corpus of the package's
 * version (`releases/<version>/`), which every later version replays. Run it when a release is cut, after capturing
 * the release's histories (`SAGENT_UPDATE_FIXTURES=1` on the integration tests). A history already in that release is
 * never replaced: the command refuses and names it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { corpusFixtures, RELEASES_DIR, WORKFLOW_IDS_FILE } from './fixtures';

async function run(): Promise<void> {
  const version = (JSON.parse(await fs.readFile(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  const target = path.join(RELEASES_DIR, version);
  const unreleased = corpusFixtures().filter((fixture) => fixture.release === 'unreleased');
  if (unreleased.length === 0) {
    console.log('no history at the top of test/fixtures/histories: nothing to release');
    return;
  }
  const missingIds = unreleased.filter((fixture) => fixture.workflowId === undefined).map((fixture) => fixture.name);
  if (missingIds.length > 0) throw new Error(`no workflow id for ${missingIds.join(', ')}: add them to ${WORKFLOW_IDS_FILE}`);
  await fs.mkdir(target, { recursive: true });
  const targetIdsFile = path.join(target, path.basename(WORKFLOW_IDS_FILE));
  const ids: Record<string, string> = JSON.parse(await fs.readFile(targetIdsFile, 'utf8').catch(() => '{}'));
  const taken = unreleased.filter((fixture) => ids[path.basename(fixture.file)] !== undefined).map((fixture) => path.basename(fixture.file));
  if (taken.length > 0) throw new Error(`release ${version} already holds ${taken.join(', ')}: a released history is never replaced; rename the new one`);
  for (const fixture of unreleased) {
    await fs.rename(fixture.file, path.join(target, path.basename(fixture.file)));
    ids[path.basename(fixture.file)] = fixture.workflowId!;
  }
  const sorted = Object.fromEntries(Object.entries(ids).sort(([a], [b]) => a.localeCompare(b)));
  await fs.writeFile(targetIdsFile, JSON.stringify(sorted, null, 2) + '\n');
  await fs.writeFile(WORKFLOW_IDS_FILE, '{}\n');
  console.log(`${unreleased.length} history file(s) joined the corpus of ${version} (${path.relative(process.cwd(), target)})`);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
