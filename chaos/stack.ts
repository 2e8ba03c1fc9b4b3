/**
 * What a fault trial runs on, all on loopback: a Temporal dev server of its own (free ports, its own database, so it
 * can be killed with SIGKILL and started again on the same data), the demo services on an in-memory database, the
 * scripted model server, and a pool of worker processes (the crash tests' own) that the trial kills and replaces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { SAGENT_PRELOAD_MODULES, sagentWebpackConfigHook, SagentClient, connectClient, type ConnectedTemporal } from '../src/index';
import { ensureDevServer, freePorts, startModelServer, type ModelServer, type Scenario } from '../src/testing';
import { detachedDevServerPid } from '../src/dev/temporal';
import { DEMO_WORKFLOWS_PATH } from '../src/demo/worker';
import { startServices, type RunningServices } from '../src/demo/services/server';
import { READY_LINE } from '../test/helpers/worker-process';

/** The Temporal server a trial runs on, and how the trial kills and restarts it. */
export interface TrialServer {
  address: string;
  /** SIGKILLs the server and starts it again on the same port and database; resolves once it answers. */
  restart(): Promise<void>;
  /** Restarts the server's database, where it has one of its own. */
  restartDatabase?(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  scenarios: Scenario[];
  /** Starts the server in the trial's scratch directory. @default a dev server of its own */
  server?: (dir: string) => Promise<TrialServer>;
  /** The model call's first-byte and idle deadlines on the workers. */
  modelTimeouts: { firstByteMs: number; idleMs: number };
  log: (line: string) => void;
}

export interface ChaosStack {
  address: string;
  taskQueue: string;
  temporal: ConnectedTemporal;
  sagent: SagentClient;
  model: ModelServer;
  services: RunningServices;
  workers: WorkerPool;
  /** SIGKILLs the Temporal server and starts it again on the same port and database; resolves once it answers. */
  restartServer(): Promise<void>;
  /** Stops the server's database as a crash would and starts it again (a cluster on PostgreSQL only). */
  restartDatabase?(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<ChaosStack> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-chaos-'));
  const server = await (options.server ?? startDevServer)(dir);
  const services = await startServices({ port: 0, dataDir: 'memory://' });
  const model = await startModelServer({ scenarios: options.scenarios });
  const bundle = await bundleWorkflowCode({
    workflowsPath: DEMO_WORKFLOWS_PATH,
    preloadModules: [...SAGENT_PRELOAD_MODULES],
    webpackConfigHook: sagentWebpackConfigHook(),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  await fs.writeFile(bundlePath, bundle.code);
  const temporal = await connectClient({ config: { address: server.address, namespace: 'default', external: true } });
  const taskQueue = `chaos-${Math.random().toString(36).slice(2, 8)}`;
  const sagent = new SagentClient({ client: temporal.client, namespace: 'default', taskQueue });
  // The same worker process the crash tests kill (test/helpers/worker-main.ts), configured through its environment.
  const workers = new WorkerPool(
    {
      SAGENT_TEST_TEMPORAL_ADDRESS: server.address,
      SAGENT_TEST_TEMPORAL_NAMESPACE: 'default',
      SAGENT_TASK_QUEUE: taskQueue,
      ANTHROPIC_BASE_URL: model.url,
      SAGENT_SERVICES_URL: services.url,
      SAGENT_TEST_WORKFLOW_BUNDLE: bundlePath,
      SAGENT_TEST_MODEL_TIMEOUTS: JSON.stringify(options.modelTimeouts),
    },
    options.log,
  );

  return {
    address: server.address,
    taskQueue,
    temporal,
    sagent,
    model,
    services,
    workers,
    restartServer: () => server.restart(),
    ...(server.restartDatabase ? { restartDatabase: server.restartDatabase } : {}),
    async close() {
      await workers.stopAll();
      await temporal.close().catch(() => {});
      await server.stop().catch(() => {});
      await model.close();
      await services.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A dev server of the trial's own: free ports, its database in `dir`, so it can be killed and started again on it. */
async function startDevServer(dir: string): Promise<TrialServer> {
  const [port, uiPort] = await freePorts(2);
  const serverOptions = {
    port,
    uiPort,
    stateDir: dir,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    detached: true,
    startTimeoutMs: 60_000,
  };
  const server = await ensureDevServer(serverOptions);
  return {
    address: server.address,
    async restart() {
      const pid = await detachedDevServerPid({ port, stateDir: dir });
      if (pid === null) throw new Error('the trial lost track of its dev server');
      process.kill(pid, 'SIGKILL');
      await waitForExit(pid);
      await ensureDevServer(serverOptions);
    },
    stop: () => server.stop(),
  };
}

async function waitForExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface PooledWorker {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
  stderr: string;
}

/** Worker processes on the trial's task queue: started, killed with SIGKILL, replaced. */
export class WorkerPool {
  private readonly live: PooledWorker[] = [];
  /** Workers that exited on their own (not killed by the trial), with their last words. */
  readonly unexpectedExits: string[] = [];

  constructor(
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  get size(): number {
    return this.live.length;
  }

  /** Starts a worker; resolves once it polls (or rejects when it exits first). */
  async start(): Promise<void> {
    const worker = this.spawn();
    await worker.ready;
  }

  /** Starts a worker and kills it before it is ready: a kill at start-up. */
  async killDuringStartUp(delayMs: number): Promise<void> {
    const worker = this.spawn();
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await this.kill(worker);
  }

  /** SIGKILLs one live worker (the oldest) and starts its replacement. */
  async killOne(): Promise<void> {
    const victim = this.live[0];
    if (victim) await this.kill(victim);
    await this.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((worker) => this.kill(worker)));
  }

  private async kill(worker: PooledWorker): Promise<void> {
    this.forget(worker);
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await worker.exited;
  }

  private forget(worker: PooledWorker): void {
    const index = this.live.indexOf(worker);
    if (index >= 0) this.live.splice(index, 1);
  }

  private spawn(): PooledWorker {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, '..', 'test', 'helpers', 'worker-main.ts')], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker: PooledWorker = {
      child,
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
      ready: Promise.resolve(),
    };
    child.stderr!.on('data', (chunk: Buffer) => (worker.stderr = (worker.stderr + chunk.toString()).slice(-4_000)));
    worker.ready = new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(READY_LINE)) resolve();
      });
      void worker.exited.then(() => reject(new Error(`a worker exited before it was ready: ${worker.stderr.trim().split('\n').at(-1) ?? ''}`)));
    });
    // Only a live worker's own death is news; a killed one was forgotten first.
    void worker.exited.then(() => {
      if (!this.live.includes(worker)) return;
      this.forget(worker);
      this.unexpectedExits.push(worker.stderr.trim().split('\n').slice(-3).join(' | '));
      this.log(`a worker exited on its own; starting another`);
      this.start().catch(() => {});
    });
    worker.ready.catch(() => {});
    this.live.push(worker);
    return worker;
  }
}
