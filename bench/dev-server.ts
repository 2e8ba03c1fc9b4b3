/**
 * A throwaway dev server for one benchmark (free ports, its database and log in `dir`, never a server it does not
 * own), the RAM-backed directory it goes in, and the stack most benchmarks of runs share.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startServices, type RunningServices } from '../src/demo/services/server';
import { DEMO_WORKFLOWS_PATH } from '../src/demo/worker';
import { startModelServer, type ModelServer } from '../src/dev/model-server';
import type { Scenario } from '../src/dev/scenario';
import type { DevServer } from '../src/dev/temporal';
import { startScratchDevServer } from '../src/dev/scratch-server';
import { sagentBundleOptions } from '../src/worker';

/** The dev server each benchmark owns: free ports, its files in `dir`, never one that already answered. */
export { startScratchDevServer };

/**
 * A RAM-backed directory when there is one: on a VM disk every fsync of the dev server's SQLite costs
 * milliseconds, which would swamp the cost of the workflows under measurement.
 */
export async function scratchRoot(): Promise<string> {
  try {
    await fs.access('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/** What a benchmark of runs needs: a scratch dev server, the scripted model, the demo services, the workflow bundle. */
export interface BenchStack {
  devServer: DevServer;
  model: ModelServer;
  services: RunningServices;
  connection: NativeConnection;
  client: Client;
  workflowBundle: WorkflowBundleWithSourceMap;
  close(): Promise<void>;
}

export async function startBenchStack(name: string, scenario: Scenario): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await fs.mkdtemp(path.join(await scratchRoot(), `sagent-bench-${name}-`));
  const devServer = await startScratchDevServer(dir);
  const model = await startModelServer({ scenarios: [scenario] });
  const services = await startServices({ port: 0, dataDir: 'memory://' });
  const connection = await NativeConnection.connect({ address: devServer.address });
  const client = new Client({ connection, namespace: devServer.namespace });
  const workflowBundle = await bundleWorkflowCode({
    ...sagentBundleOptions(DEMO_WORKFLOWS_PATH),
    logger: new DefaultLogger('ERROR'),
  });
  return {
    devServer,
    model,
    services,
    connection,
    client,
    workflowBundle,
    async close() {
      await connection.close();
      await services.close();
      await model.close();
      await devServer.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
