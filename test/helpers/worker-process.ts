/**
 * A sagent worker in a child process (`worker-main.ts`), for tests that crash a worker with SIGKILL: no
 * shutdown, no activity cancellation, no goodbye to the server, as when a machine dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const READY_LINE = 'sagent-test-worker ready';

export interface WorkerProcessOptions {
  taskQueue: string;
  /** The scripted model server's URL. */
  modelUrl: string;
  servicesUrl: string;
  /** A prebuilt workflow bundle (its `code`), so a child does not bundle again. */
  workflowCode?: string;
  /** Extra environment of the child (e.g. SAGENT_TEST_NOTES_SERVERS). */
  env?: Record<string, string>;
  /** How long to wait for the child to poll. @default 60 s */
  readyTimeoutMs?: number;
  /** The child's main file; it prints {@link READY_LINE} once it polls. @default worker-main.ts (the demo worker) */
  entry?: string;
}

export interface WorkerProcess {
  pid: number;
  /** What the child printed on stderr, for a failing test's message. */
  stderr(): string;
  /** SIGKILL: the worker dies mid-whatever, without shutting down. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM: a graceful shutdown. Resolves once the process is gone. */
  stop(): Promise<void>;
}

let bundleFile: Promise<string> | undefined;

async function writeBundle(code: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-worker-bundle-'));
  const file = path.join(dir, 'workflow-bundle.js');
  await fs.writeFile(file, code);
  return file;
}

/** Starts a worker child process and resolves once it polls its task queue. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const bundlePath = options.workflowCode ? await (bundleFile ??= writeBundle(options.workflowCode)) : undefined;
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', options.entry ?? path.join(__dirname, 'worker-main.ts')], {
    cwd: path.join(__dirname, '..', '..'),
    env: {
      ...process.env,
      SAGENT_TASK_QUEUE: options.taskQueue,
      ANTHROPIC_BASE_URL: options.modelUrl,
      SAGENT_SERVICES_URL: options.servicesUrl,
      ...(bundlePath ? { SAGENT_TEST_WORKFLOW_BUNDLE: bundlePath } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForReady(child, exited, options.readyTimeoutMs ?? 60_000, () => stderr);
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { pid: child.pid!, stderr: () => stderr, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

function waitForReady(child: ChildProcess, exited: Promise<void>, timeoutMs: number, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker process did not start within ${timeoutMs} ms:\n${stderr()}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited before it was ready (code ${child.exitCode}):\n${stderr()}`));
    });
  });
}
