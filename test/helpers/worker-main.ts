/**
 * A sagent worker as its own process, so a test can SIGKILL it mid-step. Started by `worker-process.ts`;
 * everything it needs comes through the environment. Prints `ready` once it polls its task queue.
 */
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { createDemoWorker } from '../../src/demo/worker';
import { required, runWorkerChild } from './worker-child';

Runtime.install({ logger: new DefaultLogger('WARN') });
runWorkerChild((setup) =>
  createDemoWorker({
    ...setup,
    servicesUrl: required('SAGENT_SERVICES_URL'),
    // The notes agent's MCP servers, as the parent test launches them (JSON of NotesServersOptions).
    ...(process.env.SAGENT_TEST_NOTES_SERVERS ? { notes: JSON.parse(process.env.SAGENT_TEST_NOTES_SERVERS) } : {}),
    // The fault trials (chaos/) shorten the model call's deadlines to time its fail-over.
    ...(process.env.SAGENT_TEST_MODEL_TIMEOUTS ? { modelTimeouts: JSON.parse(process.env.SAGENT_TEST_MODEL_TIMEOUTS) } : {}),
  }),
);
