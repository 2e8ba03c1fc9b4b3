/**
 * `npm run worker`: a worker for the demo's agents, built on sagent's public entry points (and the project's runtime
 * set-up). TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / a profile name the server, SAGENT_TASK_QUEUE the queue,
 * SAGENT_SERVICES_URL the demo services, SAGENT_BUILD_ID / SAGENT_DEPLOYMENT the Worker Deployment Version it polls as
 * (unversioned without a build id).
 */
import {
  connectWorkerConnection,
  createSagentWorker,
  deploymentFromEnv,
  resolveConnection,
  SagentMetrics,
  serveMetrics,
  workerTelemetry,
  type SagentWorkerOptions,
} from '../index';
import { installRuntime, metricsPort } from '../observability';
import { DEFAULT_SERVICES_URL, demoAgents, demoMcpServers } from './agents/implementations';
import type { NotesServersOptions } from './agents/notes/servers';

/** The demo's workflows file: sagent's saga over the demo agents. */
export const DEMO_WORKFLOWS_PATH = require.resolve('./workflows');

/** `notes` says where the notes agent's MCP servers are (SAGENT_MCP_EVERYTHING_URL names an HTTP everything server). */
export type DemoWorkerOptions = Omit<SagentWorkerOptions, 'agents'> & { servicesUrl?: string; notes?: NotesServersOptions };

/** A worker for the demo agents; their tools call the services at `servicesUrl`. */
export function createDemoWorker(options: DemoWorkerOptions) {
  const servicesUrl = options.servicesUrl ?? process.env.SAGENT_SERVICES_URL ?? DEFAULT_SERVICES_URL;
  return createSagentWorker({
    ...(options.workflowBundle ? {} : { workflowsPath: DEMO_WORKFLOWS_PATH }),
    ...options,
    agents: demoAgents({ servicesUrl }),
    mcpServers: options.mcpServers ?? demoMcpServers({ notes: { everythingUrl: process.env.SAGENT_MCP_EVERYTHING_URL, ...options.notes } }),
  });
}

async function run(): Promise<void> {
  installRuntime();
  const config = resolveConnection();
  const connection = await connectWorkerConnection(config);
  // Versioned with SAGENT_BUILD_ID; `npm run demo` builds its worker without this and stays unversioned.
  const deployment = deploymentFromEnv();
  const port = metricsPort();
  const metrics = port === null ? undefined : new SagentMetrics();
  const served = metrics && port !== null ? await serveMetrics(metrics, port) : null;
  const worker = await createDemoWorker({ connection, namespace: config.namespace, overrides: workerTelemetry(), deployment, metrics });
  const version = deployment
    ? `, version ${deployment.name}:${deployment.buildId}; new runs reach it once it is current: temporal worker deployment set-current-version --deployment-name ${deployment.name} --build-id ${deployment.buildId}`
    : ', unversioned: a change under a waiting run must replay (see docs/DEPLOY.md)';
  console.log(
    `sagent worker on ${config.address} (namespace ${config.namespace}, task queue ${worker.options.taskQueue}${version})${served ? `; metrics on ${served.url}` : ''}`,
  );
  await worker.run();
  await served?.close();
  await connection.close();
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
