/** The Temporal server of the test run (started by test/global-setup.ts), for integration tests. */
import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { DEFAULT_NAMESPACE } from '../../src/shared/constants';
import { connectClient } from '../../src/temporal/connection';

export interface TestTemporal {
  client: Client;
  /** The client's gRPC connection, for operatorService / workflowService calls. */
  connection: Connection;
  /** For `Worker.create({ connection: nativeConnection, ... })`. */
  nativeConnection: NativeConnection;
  address: string;
  uiUrl: string;
  namespace: string;
  /** Closes both connections; call it in `afterAll`. */
  close(): Promise<void>;
}

let shared: Promise<TestTemporal> | undefined;

/** Connections to the test server, shared within one test file. */
export function testConnection(): Promise<TestTemporal> {
  shared ??= open().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

async function open(): Promise<TestTemporal> {
  const address = process.env.SAGENT_TEST_TEMPORAL_ADDRESS;
  if (!address) {
    throw new Error('SAGENT_TEST_TEMPORAL_ADDRESS is not set: run tests with `npm test` (jest globalSetup starts Temporal)');
  }
  const namespace = process.env.SAGENT_TEST_TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE;
  const temporal = await connectClient({ config: { address, namespace, external: true } });
  const nativeConnection = await temporal.connectWorkerConnection();
  return {
    client: temporal.client,
    connection: temporal.connection,
    nativeConnection,
    address,
    uiUrl: process.env.SAGENT_TEST_TEMPORAL_UI ?? '',
    namespace,
    close: async () => {
      shared = undefined;
      await Promise.all([nativeConnection.close(), temporal.close()]);
    },
  };
}

/** A task queue no other test (or earlier run against the same server) uses. */
export function uniqueTaskQueue(name: string): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}
