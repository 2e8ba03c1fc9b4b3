/**
 * Starts one dedicated Temporal dev server for the whole test run, on free ports (never a developer's 7233), with a
 * throwaway database, the Web UI on and sagent's search attributes registered. Tests find it through
 * SAGENT_TEST_TEMPORAL_ADDRESS and SAGENT_TEST_TEMPORAL_UI; set SAGENT_TEST_TEMPORAL_ADDRESS beforehand to reuse a
 * running server instead.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_NAMESPACE } from '../src/shared/constants';
import type { DevServer } from '../src/dev/temporal';
import { startScratchDevServer } from '../src/dev/scratch-server';
import { connectClient } from '../src/temporal/connection';
import { registerSearchAttributes } from '../src/temporal/search-attributes';
import { buildDemoBundle, DEMO_BUNDLE_ENV } from './helpers/demo-bundle';

/** What global-teardown needs; globalSetup and globalTeardown share the parent process's globals. */
export interface TestTemporalHandle {
  /** The dev server this run started (none when it reuses a running one). */
  server?: DevServer;
  dir: string;
}

declare global {
  var __SAGENT_TEST_TEMPORAL__: TestTemporalHandle | undefined;
}

export default async function globalSetup(): Promise<void> {
  const namespace = process.env.SAGENT_TEST_TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-test-temporal-'));
  globalThis.__SAGENT_TEST_TEMPORAL__ = { dir };
  // Built while the server starts: every test file then reads the same bundle instead of bundling again.
  const bundled = buildDemoBundle().then(async ({ code }) => {
    const file = path.join(dir, 'demo-workflows.js');
    await fs.writeFile(file, code);
    process.env[DEMO_BUNDLE_ENV] = file;
  });
  const existing = process.env.SAGENT_TEST_TEMPORAL_ADDRESS;
  if (existing) {
    process.env.SAGENT_TEST_TEMPORAL_REUSED = '1';
    const temporal = await connectClient({ config: { address: existing, namespace, external: true } });
    try {
      await registerSearchAttributes(temporal.connection, namespace);
    } finally {
      await temporal.close();
    }
    await bundled;
    return;
  }

  const startedAt = Date.now();
  const server = await startScratchDevServer(dir, { namespace });
  globalThis.__SAGENT_TEST_TEMPORAL__ = { server, dir };
  await bundled;
  process.env.SAGENT_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.SAGENT_TEST_TEMPORAL_UI = server.uiUrl;
  process.env.SAGENT_TEST_TEMPORAL_NAMESPACE = namespace;
  console.log(`\nTemporal test server at ${server.address}, UI ${server.uiUrl} (ready in ${Date.now() - startedAt} ms)`);
}
