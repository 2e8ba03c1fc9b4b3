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
import { ensureDevServer, type DevServer } from '../src/dev/temporal';
import { connectClient } from '../src/temporal/connection';
import { registerSearchAttributes } from '../src/temporal/search-attributes';
import { freePorts } from '../src/dev/ports';

/** What global-teardown needs; globalSetup and globalTeardown share the parent process's globals. */
export interface TestTemporalHandle {
  server: DevServer;
  dir: string;
}

declare global {
  var __SAGENT_TEST_TEMPORAL__: TestTemporalHandle | undefined;
}

const START_ATTEMPTS = 3;

export default async function globalSetup(): Promise<void> {
  const namespace = process.env.SAGENT_TEST_TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE;
  const existing = process.env.SAGENT_TEST_TEMPORAL_ADDRESS;
  if (existing) {
    process.env.SAGENT_TEST_TEMPORAL_REUSED = '1';
    const temporal = await connectClient({ config: { address: existing, namespace, external: true } });
    try {
      await registerSearchAttributes(temporal.connection, namespace);
    } finally {
      await temporal.close();
    }
    return;
  }

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-test-temporal-'));
  const startedAt = Date.now();
  const server = await startOnFreePorts(dir, namespace);
  globalThis.__SAGENT_TEST_TEMPORAL__ = { server, dir };
  process.env.SAGENT_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.SAGENT_TEST_TEMPORAL_UI = server.uiUrl;
  process.env.SAGENT_TEST_TEMPORAL_NAMESPACE = namespace;
  console.log(`\nTemporal test server at ${server.address}, UI ${server.uiUrl} (ready in ${Date.now() - startedAt} ms)`);
}

/** Another process can take a port between our probe and the server's bind: try fresh ports a few times. */
async function startOnFreePorts(dir: string, namespace: string): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    const [port, uiPort] = await freePorts(2);
    try {
      return await ensureDevServer({
        port,
        uiPort,
        namespace,
        stateDir: dir,
        dbFile: path.join(dir, 'temporal.db'),
        logFile: path.join(dir, 'temporal.log'),
        startTimeoutMs: 60_000,
      });
    } catch (err) {
      if (attempt >= START_ATTEMPTS || (err as Error).name === 'TemporalNotFoundError') throw err;
    }
  }
}
