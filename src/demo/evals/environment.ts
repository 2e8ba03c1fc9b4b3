/**
 * What the demo's eval suites run on, started the way `npm run demo` starts it but on free ports and throwaway
 * databases, so it never collides with a running demo: a Temporal dev server (or the server TEMPORAL_ADDRESS names),
 * the demo services on an in-memory database, the scripted model server with the demo's and the evals' scenarios
 * (or Claude when ANTHROPIC_API_KEY is set), and a worker for the demo agents whose tools the cases can stub.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { bundleWorkflowCode, DefaultLogger, Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import { sagentBundleOptions, SagentClient, connectClient, createAnthropicClient, createSagentWorker, resolveConnection } from '../../index';
import { ToolStubs, withOverrides, type AgentOverrides, type EvalEnvironment, type EvalEnvironmentOptions } from '../../eval';
import { loadScenarios, startModelServer, startScratchDevServer, type ModelServer, type Scenario } from '../../testing';
import { demoAgents, demoMcpServers } from '../agents/implementations';
import { startServices } from '../services/server';
import { DEMO_WORKFLOWS_PATH } from '../worker';
import { scenarios as codeScenarios } from './scenarios';

/** Starts the demo's eval stack; `close()` stops everything it started. */
export async function createEvalEnvironment({ env, say }: EvalEnvironmentOptions): Promise<EvalEnvironment> {
  const startedAt = Date.now();
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    try {
      Runtime.install({ logger: new DefaultLogger((env.SAGENT_LOG_LEVEL?.toUpperCase() ?? 'ERROR') as 'ERROR') });
    } catch {
      // Installed already (a test, or a second environment in this process).
    }
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sagent-eval-'));
    closers.push(async () => fs.rmSync(scratch, { recursive: true, force: true }));

    const config = resolveConnection(env);
    // The server, the services and the workflow bundle start side by side; whatever started is stopped on failure.
    const [temporalSetup, services, workflowBundle] = await settleAll([
      (async () => {
        if (config.external) return { temporal: await connectClient({ config }), uiUrl: env.SAGENT_UI_URL ?? 'http://localhost:8233' };
        const server = await startScratchDevServer(scratch);
        closers.push(() => server.stop());
        return { temporal: await connectClient({ config: { address: server.address, namespace: server.namespace, external: false } }), uiUrl: server.uiUrl };
      })().then((started) => {
        closers.push(() => started.temporal.close());
        return started;
      }),
      startServices({ port: 0, dataDir: 'memory://' }).then((started) => {
        closers.push(() => started.close());
        return started;
      }),
      demoBundle(),
    ] as const);
    const { temporal, uiUrl } = temporalSetup;
    const nativeConnection: NativeConnection = await temporal.connectWorkerConnection();
    closers.push(() => nativeConnection.close());

    let anthropic: Anthropic;
    let modelServer: ModelServer | null = null;
    const known: Scenario[] = [];
    if (env.ANTHROPIC_API_KEY && !env.ANTHROPIC_BASE_URL) {
      anthropic = createAnthropicClient();
    } else {
      known.push(...loadScenarios(path.join(__dirname, '..', 'scenarios')), ...codeScenarios);
      const server = await startModelServer({ scenarios: known });
      modelServer = server;
      closers.push(() => server.close());
      anthropic = createAnthropicClient({ baseURL: server.url, apiKey: 'offline' });
    }

    const stubs = new ToolStubs();
    const workers = new Map<string, Promise<SagentClient>>();
    const startWorker = async (overrides: AgentOverrides | undefined): Promise<SagentClient> => {
      const taskQueue = `sagent-eval-${process.pid}-${workers.size}-${Date.now().toString(36)}`;
      const worker: Worker = await createSagentWorker({
        connection: nativeConnection,
        namespace: temporal.config.namespace,
        taskQueue,
        workflowBundle,
        anthropic,
        agents: demoAgents({ servicesUrl: services.url }).map(({ agent, tools }) => ({ agent: withOverrides(agent, overrides), tools: stubs.wrap(tools) })),
        mcpServers: demoMcpServers({ notes: { memoryFile: path.join(scratch, `memory-${workers.size}.jsonl`) } }),
        overrides: { shutdownGraceTime: '2s' },
      });
      const running = worker.run();
      closers.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
      return new SagentClient({ client: temporal.client, namespace: temporal.config.namespace, taskQueue, uiUrl });
    };
    const variant = (overrides: AgentOverrides | undefined) => {
      const key = JSON.stringify(overrides ?? null);
      if (!workers.has(key)) workers.set(key, startWorker(overrides));
      return workers.get(key)!;
    };
    const sagent = await variant(undefined);

    const where = config.external ? config.address : `a dev server at ${uiUrl}`;
    const model = modelServer ? 'the scripted model server' : 'Claude';
    say(`Eval stack: ${where}, services ${services.url}, ${model} (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
    return {
      description: `demo agents on ${where}, ${model}`,
      model: modelServer ? 'scripted' : 'claude',
      sagent,
      servicesUrl: services.url,
      variant,
      stubs,
      addScenarios(more) {
        for (const scenario of more) {
          if (known.some((existing) => existing.name === scenario.name)) continue;
          known.push(scenario);
          modelServer?.addScenario(scenario);
        }
      },
      routeScenario(workflowId, name, suffix) {
        const scenario = known.find((candidate) => candidate.name === name);
        if (!scenario) throw new Error(`no scenario named "${name}" (known: ${known.map((s) => s.name).join(', ')})`);
        // The run itself (an id that starts and ends as its own), or its sub-agent `…/<agent>`, which goes first.
        const match = suffix
          ? { runIdPrefix: workflowId, runIdSuffix: suffix, priority: 1001 }
          : { runIdPrefix: workflowId, runIdSuffix: workflowId.slice(-12), priority: 1000 };
        modelServer?.addScenario({ ...scenario, name: `${name}@${workflowId}${suffix ?? ''}`, match });
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;

/** The demo's workflow bundle, built once per process (a test file may start several environments). */
function demoBundle(): ReturnType<typeof bundleWorkflowCode> {
  bundle ??= bundleWorkflowCode({
    ...sagentBundleOptions(DEMO_WORKFLOWS_PATH),
    logger: new DefaultLogger('ERROR'),
  });
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

/** Like Promise.all, but waits for every promise before rejecting, so nothing is left starting unseen. */
async function settleAll<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
