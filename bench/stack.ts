/**
 * One stack for every measurement: a Temporal dev server of its own (free ports, throwaway database), the
 * scripted model server, the demo services on an in-memory database, and four worker processes, each a
 * child of this one so its CPU and memory can be read alone: sagent's (`agentSaga`), sagent's again with the
 * context cache off (every model call queries its workflow: the fallback path), the baselines'
 * (`plainLoop`, `naiveLoop`; the same program as sagent's, on its own task queue) and the peer's
 * (`@temporalio/ai-sdk`, from `bench/peer/` on its own Node and SDK).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startModelServer, type ModelServer } from '../src/dev/model-server';
import type { DevServer } from '../src/dev/temporal';
import { scratchRoot, startScratchDevServer } from './dev-server';
import { connectClient, type ConnectedTemporal } from '../src/temporal/connection';
import { startServices, type RunningServices } from '../src/demo/services/server';
import { DEFAULT_NAMESPACE } from '../src/shared/constants';
import type { AgentRunInput } from '../src/shared/contracts';
import { benchScenario } from './workload';
import type { BaselineInput } from './workflows';
import { sagentBundleOptions } from '../src/worker';

/** Which worker process runs a measured workflow. */
export type WorkerName = 'sagent' | 'sagentQuery' | 'baseline' | 'peer';

/** How a sagent run's model calls get their context: the worker's sink hand-over (the default), or the query alone. */
export type ContextPath = 'sink' | 'query';

export interface WorkerProcess {
  name: WorkerName;
  pid: number;
  taskQueue: string;
  /** The Node version the process runs on. */
  node: string;
}

/** The peer agent's input (`bench/peer/workflows.js`): its task and the model calls it may make at most. */
export interface PeerInput {
  task: string;
  maxTurns: number;
}

export interface PeerOutcome {
  steps: number;
  text: string;
}

export interface BenchStack {
  client: Client;
  /** sagent's task queue. */
  taskQueue: string;
  model: ModelServer;
  /** The bundle sagent's and the baselines' workers run, for replays in this process. */
  bundle: WorkflowBundleWithSourceMap;
  temporalAddress: string;
  /** The directory of the dev server's database. */
  dbDir: string;
  workers: Record<WorkerName, WorkerProcess>;
  /** The peer's package folder: its own node_modules, Node binary and replay script. */
  peerDir: string;
  /** The versions the peer ran with, from its installed packages. */
  peerVersions: Record<string, string>;
  /** On the default worker (`sink`), or on the one whose every model call queries (`query`). */
  startSagent(workflowId: string, input: AgentRunInput, via?: ContextPath): Promise<WorkflowHandleWithFirstExecutionRunId>;
  startBaseline(workflow: 'plainLoop' | 'naiveLoop', workflowId: string, input: BaselineInput): Promise<WorkflowHandleWithFirstExecutionRunId>;
  startPeer(workflowId: string, input: PeerInput): Promise<WorkflowHandleWithFirstExecutionRunId>;
  stop(): Promise<void>;
}

const TASK_QUEUES: Record<WorkerName, string> = {
  sagent: 'sagent-bench',
  sagentQuery: 'sagent-bench-query',
  baseline: 'sagent-bench-baseline',
  peer: 'sagent-bench-peer',
};

export const PEER_DIR = path.join(__dirname, 'peer');
/** The Node binary the peer's `node` package installs (the peer's SDK needs Node ≥ 22.12). */
export const PEER_NODE = path.join(PEER_DIR, 'node_modules', '.bin', 'node');
const READY_TIMEOUT_MS = 180_000;

export interface StackOptions {
  /** Where the dev server's throwaway database goes. @default /dev/shm when it exists, else the OS temp dir */
  dbDir?: string;
}

export async function startStack(log: (line: string) => void, options: StackOptions = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await fs.mkdtemp(path.join(options.dbDir ?? (await scratchRoot()), 'sagent-bench-'));
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => log(`cleanup failed: ${String(err)}`));
  };
  try {
    await ensurePeerInstalled(log);
    const devServer: DevServer = await startScratchDevServer(dir);
    cleanups.push(() => devServer.stop());
    log(`temporal dev server at ${devServer.address}, database in ${dir}`);

    const temporal: ConnectedTemporal = await connectClient({ config: { address: devServer.address, namespace: DEFAULT_NAMESPACE, external: true } });
    cleanups.push(() => temporal.close());

    const model = await startModelServer({ scenarios: [benchScenario] });
    cleanups.push(() => model.close());
    const services: RunningServices = await startServices({ port: 0, dataDir: 'memory://' });
    cleanups.push(() => services.close());

    // One bundle for every sagent worker and for the replays in this process, built here once.
    const bundle = await bundleWorkflowCode({
      // As `SagentPlugin` bundles: the stateless libraries and the workflows file once per workflow context, not once
      // per run, and TypeScript compiled to the level sagent's package ships.
      ...sagentBundleOptions(require.resolve('./workflows')),
      logger: new DefaultLogger('ERROR'),
    });
    const bundleFile = path.join(dir, 'workflow-bundle.js');
    await fs.writeFile(bundleFile, bundle.code);
    const common = { TEMPORAL_ADDRESS: devServer.address, TEMPORAL_NAMESPACE: DEFAULT_NAMESPACE };
    const sagentEnv = (name: WorkerName) => ({
      ...common,
      BENCH_TASK_QUEUE: TASK_QUEUES[name],
      BENCH_MODEL_URL: model.url,
      BENCH_SERVICES_URL: services.url,
      BENCH_WORKFLOW_BUNDLE: bundleFile,
    });
    // BENCH_WORKER_NODE_ARGS: extra Node flags for sagent's and the baselines' workers (e.g. --cpu-prof, a heap limit).
    const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const sagentArgs = [...nodeArgs, '--import', 'tsx', path.join(__dirname, 'worker-main.ts')];
    // One at a time: on two cores each starts quicker in turn than all at once.
    const sagent = await spawnWorker('sagent', process.execPath, sagentArgs, sagentEnv('sagent'), dir, log, cleanups);
    const sagentQuery = await spawnWorker(
      'sagentQuery',
      process.execPath,
      sagentArgs,
      { ...sagentEnv('sagentQuery'), BENCH_CONTEXT_CACHE: 'off' },
      dir,
      log,
      cleanups,
    );
    const baseline = await spawnWorker('baseline', process.execPath, sagentArgs, sagentEnv('baseline'), dir, log, cleanups);
    const peer = await spawnWorker(
      'peer',
      PEER_NODE,
      [path.join(PEER_DIR, 'worker.js')],
      { ...common, PEER_TASK_QUEUE: TASK_QUEUES.peer, PEER_MODEL_URL: model.url, PEER_SERVICES_URL: services.url },
      dir,
      log,
      cleanups,
    );

    const start = (name: WorkerName, workflow: string, workflowId: string, input: unknown) =>
      temporal.client.workflow.start(workflow, { taskQueue: TASK_QUEUES[name], workflowId, args: [input] });
    return {
      client: temporal.client,
      taskQueue: TASK_QUEUES.sagent,
      model,
      bundle,
      temporalAddress: devServer.address,
      dbDir: dir,
      workers: { sagent, sagentQuery, baseline, peer },
      peerDir: PEER_DIR,
      peerVersions: await peerVersions(),
      startSagent: (workflowId, input, via = 'sink') => start(via === 'sink' ? 'sagent' : 'sagentQuery', 'agentSaga', workflowId, input),
      startBaseline: (workflow, workflowId, input) => start('baseline', workflow, workflowId, input),
      startPeer: (workflowId, input) => start('peer', 'peerAgent', workflowId, input),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `npm ci` in `bench/peer/` when its packages or its Node binary are missing. */
async function ensurePeerInstalled(log: (line: string) => void): Promise<void> {
  const needed = [PEER_NODE, path.join(PEER_DIR, 'node_modules', '@temporalio', 'ai-sdk', 'package.json')];
  const present = await Promise.all(
    needed.map((file) =>
      fs.access(file).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (present.every(Boolean)) return;
  log('installing the peer (npm ci --prefix bench/peer) ...');
  const logFile = path.join(os.tmpdir(), `sagent-bench-peer-npm-ci-${process.pid}.log`);
  const out = createWriteStream(logFile);
  const child = spawn('npm', ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`npm ci --prefix bench/peer failed (exit ${code}): see ${logFile}`);
}

async function peerVersions(): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of ['@temporalio/ai-sdk', '@temporalio/worker', 'ai', '@ai-sdk/anthropic', 'node']) {
    const manifest = JSON.parse(await fs.readFile(path.join(PEER_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    versions[name] = manifest.version;
  }
  return versions;
}

/**
 * Spawns one worker program and waits for its `{"ready":true}` line; its stderr goes to a log file in the
 * stack's directory (and its last lines into the error when it dies first). Stopped with SIGTERM at the end;
 * its stdin stays open until this process exits, so it also stops when this process dies without cleaning up.
 */
export async function spawnWorker<Name extends string = WorkerName>(
  name: Name,
  command: string,
  args: string[],
  env: Record<string, string>,
  dir: string,
  log: (line: string) => void,
  cleanups: (() => Promise<unknown>)[],
): Promise<WorkerProcess & { name: Name }> {
  const began = performance.now();
  const logFile = path.join(dir, `worker-${name}.log`);
  const stderr = createWriteStream(logFile);
  const child: ChildProcess = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr!.pipe(stderr);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  const ready = await new Promise<{ pid: number; node: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`the ${name} worker was not ready within ${READY_TIMEOUT_MS / 1000}s (log: ${logFile})`)),
      READY_TIMEOUT_MS,
    );
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { ready?: boolean; pid: number; node: string };
        if (message.ready) {
          clearTimeout(timer);
          resolve(message);
        }
      } catch {
        // Not the readiness line.
      }
    });
    child.once('error', (err) => reject(err));
    void exited.then(async (code) => {
      clearTimeout(timer);
      const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
      reject(new Error(`the ${name} worker exited (code ${code}) before it was ready:\n${tail}`));
    });
  });
  if (ready.pid !== child.pid)
    throw new Error(`the ${name} worker reported pid ${ready.pid}, spawned ${child.pid}: the measured process would be the wrong one`);
  const taskQueue = env.BENCH_TASK_QUEUE ?? env.PEER_TASK_QUEUE;
  log(`${name} worker: pid ${ready.pid}, node ${ready.node}, task queue ${taskQueue}, ready after ${Math.round(performance.now() - began)} ms`);
  return { name, pid: ready.pid, taskQueue, node: ready.node } as WorkerProcess & { name: Name };
}
