/**
 * The fleet: N runs waiting for a person on one worker, next to N bare workflows waiting for a signal on the same
 * worker program with a bundle of their own (the floor). For each N, on fresh worker processes: worker RSS while they wait, above the idle worker; the
 * time and worker CPU to approve them all; the decision latency (p50/p99, evicted runs replay first); then the
 * time to the first decision after a worker restart. Prints figures, asserts nothing.
 *
 * ```
 * npx tsx bench/fleet.ts                      # N = 500, 2000, 10000
 * npx tsx bench/fleet.ts --runs 200,500       # chosen sizes (or BENCH_FLEET_RUNS=200,500)
 * npx tsx bench/fleet.ts --restart-samples 5  # runs decided one by one after a restart
 * ```
 * BENCH_WORKER_NODE_ARGS passes Node flags to the workers; BENCH_MAX_CACHED_WORKFLOWS sets their sticky cache;
 * BENCH_HEAP_SNAPSHOT_DIR=<dir> has each worker write heap snapshots of its threads while idle and while the runs wait.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { startModelServer } from '../src/dev/model-server';
import type { RespondingScenario } from '../src/dev/scenario';
import { startServices } from '../src/demo/services/server';
import { argsHashOf } from '../src/policies/canonical';
import { DEFAULT_NAMESPACE } from '../src/shared/constants';
import { decideUpdate, type AgentRunInput, type ApprovalDecision } from '../src/shared/contracts';
import { connectClient } from '../src/temporal/connection';
import { sagentBundleOptions } from '../src/worker';
import { scratchRoot, startScratchDevServer } from './dev-server';
import { cpuMsOf, rssMbOf, threadCpuSince, threadTicksOf, type ThreadCpu } from './proc';
import { spawnWorker, type WorkerProcess } from './stack';
import { median, percentile, round, tag } from './stats';
import { BARE_WAITING, releaseSignal } from './bare-workflows';

const FLEET_PREFIX = 'fleet-';
const APPROVER = 'fleet-approver';
/** What every fleet run asks to do on its first turn: an irreversible call, so it waits for a person. */
const EMAIL = { to: 'ops@example.com', subject: 'Fleet', body: 'One run of the fleet, approved.' };

/** Turn 1 sends one email (an approval); turn 2 ends the run. */
const fleetScenario: RespondingScenario = {
  name: 'fleet',
  match: { runIdPrefix: FLEET_PREFIX },
  respond: (ctx) =>
    ctx.turn === 1
      ? { content: [{ type: 'tool_use', name: 'send_email', input: EMAIL }] }
      : { content: [{ type: 'text', text: 'Sent.' }], stop_reason: 'end_turn' },
};

const FLEET_INPUT: AgentRunInput = { agent: 'travel', task: 'Fleet: send one email, then say done.', approval: { approvers: [APPROVER] } };

export interface FleetSide {
  runs: number;
  /** Worker RSS before the runs started (the idle worker, its bundle loaded). */
  idleRssMb: number;
  /** Median worker RSS over a few seconds once every run waits. */
  waitingRssMb: number;
  /** (waiting − idle) ÷ runs. */
  kbPerWaitingRun: number;
  /** Start of the first run to the last one waiting. */
  toWaitingMs: number;
  /** First decision sent to the last run completed. */
  approveAllMs: number;
  approveAllCpuMs: number;
  /**
   * The same CPU by thread: the main thread (activities, the SDK's worker loop), the busiest other JS thread (the
   * workflow thread: every run's workflow code) and the rest (the core's threads, GC, libuv).
   */
  approveAllThreadCpuMs: ThreadCpu;
  /** Worker CPU from the first start to the last run waiting. */
  toWaitingCpuMs: number;
  /** First start to the last start call answered (the bench starts 64 at a time). */
  allStartedMs: number;
  /** The dev server's CPU from the first start to the last run waiting (its process, all threads). */
  toWaitingServerCpuMs: number;
  /** Worker RSS peak while they were approved. */
  approvePeakRssMb: number;
  /** Decision sent to decision accepted (an update's answer; a signal's send for the bare floor). */
  decisionP50Ms: number;
  decisionP99Ms: number;
}

export interface FleetRound {
  runs: number;
  maxCachedWorkflows: string;
  sagent: FleetSide;
  bare: FleetSide;
  /** After a restart of sagent's worker: decision sent to accepted, and to the run completed, one run at a time. */
  afterRestart: { firstDecisionMs: number[]; firstCompletionMs: number[] };
}

export interface FleetPlan {
  runs: number[];
  restartSamples: number;
}

/** Parallel work in bounded flights; the first failure stops new work, and is thrown once the flights in the air land. */
async function inFlights<T>(count: number, flight: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  const failures: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(flight, count) }, async () => {
      while (next < count && failures.length === 0) {
        const index = next++;
        try {
          results[index] = await work(index);
        } catch (err) {
          failures.push(err);
        }
      }
    }),
  );
  if (failures.length > 0) throw failures[0];
  return results;
}

async function waitForCount(client: Client, query: string, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= expected) return;
    if (Date.now() > deadline) throw new Error(`fleet: ${count} of ${expected} workflows match ${query} after ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The dev server that keeps its database in `dir`: its process, found by its command line (Linux). */
function serverPidOf(dir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('start-dev') && args.some((arg) => arg.startsWith(dir))) return Number(entry);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  throw new Error(`fleet: no dev server process with its files in ${dir}`);
}

/** Median RSS over `ms`, sampled every 100 ms. */
async function settledRss(pid: number, ms = 3000): Promise<number> {
  const samples: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    samples.push(rssMbOf(pid));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return round(median(samples));
}

function peakSampler(pid: number): () => number {
  let peak = rssMbOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMbOf(pid));
    } catch {
      // The process is gone; the peak so far stands.
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return round(peak);
  };
}

/** The decision a person sends for a fleet run's first call (`call-1`, effect 1). */
function approvalOf(workflowId: string): ApprovalDecision {
  const argsHash = argsHashOf({ tool: 'send_email', input: EMAIL, effectId: `${workflowId}/effect-1` });
  return { callId: 'call-1', argsHash, decision: 'approve', approver: APPROVER, reason: 'fleet bench' };
}

async function run(): Promise<void> {
  const argv = process.argv;
  const flag = (name: string) => (argv.indexOf(name) > 0 ? argv[argv.indexOf(name) + 1] : undefined);
  const plan: FleetPlan = {
    runs: (flag('--runs') ?? process.env.BENCH_FLEET_RUNS ?? '500,2000,10000').split(',').map(Number),
    restartSamples: Number(flag('--restart-samples') ?? 5),
  };
  if (plan.runs.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--runs: whole numbers separated by commas, got ${flag('--runs')}`);
  const log = (line: string) => console.error(`[fleet ${new Date().toISOString().slice(11, 19)}] ${line}`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await fs.mkdtemp(path.join(flag('--db-dir') ?? (await scratchRoot()), 'sagent-fleet-'));
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => log(`cleanup failed: ${String(err)}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().finally(() => process.exit(130)));
  const rounds: FleetRound[] = [];
  try {
    const devServer = await startScratchDevServer(dir);
    cleanups.push(() => devServer.stop());
    const serverPid = serverPidOf(dir);
    const temporal = await connectClient({ config: { address: devServer.address, namespace: DEFAULT_NAMESPACE, external: true } });
    cleanups.push(() => temporal.close());
    const { client } = temporal;
    const model = await startModelServer({ scenarios: [fleetScenario] });
    cleanups.push(() => model.close());
    const services = await startServices({ port: 0, dataDir: 'memory://' });
    cleanups.push(() => services.close());
    // sagent's bundle as the other benchmarks build it; the floor's of its own (`./bare-workflows`).
    const bundleFiles: Record<'sagent' | 'bare', string> = { sagent: path.join(dir, 'workflow-bundle.js'), bare: path.join(dir, 'bare-bundle.js') };
    for (const [name, workflowsPath] of [
      ['sagent', require.resolve('./workflows')],
      ['bare', require.resolve('./bare-workflows')],
    ] as const) {
      // Both as `SagentPlugin` bundles: the workflows file preloaded with sagent's modules, shared by every run.
      const bundle = await bundleWorkflowCode({ ...sagentBundleOptions(workflowsPath), logger: new DefaultLogger('ERROR') });
      await fs.writeFile(bundleFiles[name], bundle.code);
    }
    const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const workerArgs = [...nodeArgs, '--import', 'tsx', path.join(__dirname, 'worker-main.ts')];
    const spawn = (name: 'sagent' | 'bare', taskQueue: string, own: (() => Promise<unknown>)[]) =>
      spawnWorker(
        name,
        process.execPath,
        workerArgs,
        {
          TEMPORAL_ADDRESS: devServer.address,
          TEMPORAL_NAMESPACE: DEFAULT_NAMESPACE,
          BENCH_TASK_QUEUE: taskQueue,
          BENCH_MODEL_URL: model.url,
          BENCH_SERVICES_URL: services.url,
          BENCH_WORKFLOW_BUNDLE: bundleFiles[name],
        },
        dir,
        log,
        own,
      );
    const stopAll = async (own: (() => Promise<unknown>)[]) => {
      for (const cleanup of own.splice(0).reverse()) await cleanup();
    };

    for (const runs of plan.runs) {
      const label = tag();
      const own: (() => Promise<unknown>)[] = [];
      cleanups.push(() => stopAll(own));
      // Fresh processes for every size: RSS that V8 took for a larger round is not given back.
      const bareQueue = `fleet-bare-${label}`;
      const sagentQueue = `fleet-sagent-${label}`;
      const bareWorker = await spawn('bare', bareQueue, own);
      const sagentWorkers: (() => Promise<unknown>)[] = [];
      let sagentWorker: WorkerProcess = await spawn('sagent', sagentQueue, sagentWorkers);

      const bareIds = Array.from({ length: runs }, (_, index) => `fleet-bare-${label}-${index}`);
      const bare = await measureSide(log, 'bare', client, { worker: bareWorker.pid, server: serverPid }, runs, {
        start: (index) => client.workflow.start('bareWait', { taskQueue: bareQueue, workflowId: bareIds[index], args: [] }),
        waitingQuery: `ExecutionStatus="Running" AND AgentStatus="${BARE_WAITING}"`,
        decide: async (index) => {
          await client.workflow.getHandle(bareIds[index]).signal(releaseSignal);
        },
        result: (index) => client.workflow.getHandle(bareIds[index]).result(),
      });
      await stopAll(own);

      const sagentIds = Array.from({ length: runs }, (_, index) => `${FLEET_PREFIX}${label}-${index}`);
      const startSagent = (workflowId: string) => client.workflow.start('agentSaga', { taskQueue: sagentQueue, workflowId, args: [FLEET_INPUT] });
      // One update id per run: a call the server timed out under load is sent again as the same update, never twice.
      const decideSagent = async (workflowId: string) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await client.workflow
              .getHandle(workflowId)
              .executeUpdate(decideUpdate, { args: [approvalOf(workflowId)], updateId: `fleet-approve-${workflowId}` });
            return;
          } catch (err) {
            if ((err as Error).name !== 'WorkflowUpdateRPCTimeoutOrCancelledError' || attempt >= 5) throw err;
          }
        }
      };
      const sagent = await measureSide(log, 'sagent', client, { worker: sagentWorker.pid, server: serverPid }, runs, {
        start: (index) => startSagent(sagentIds[index]),
        waitingQuery: `ExecutionStatus="Running" AND AgentStatus="awaiting_approval"`,
        decide: (index) => decideSagent(sagentIds[index]),
        result: (index) => client.workflow.getHandle(sagentIds[index]).result(),
      });

      // After a restart nothing is cached: each decision replays its run first.
      const restartIds = Array.from({ length: plan.restartSamples }, (_, index) => `${FLEET_PREFIX}${label}-restart-${index}`);
      await Promise.all(restartIds.map(startSagent));
      await waitForCount(client, `ExecutionStatus="Running" AND AgentStatus="awaiting_approval"`, restartIds.length, 120_000);
      await stopAll(sagentWorkers);
      sagentWorker = await spawn('sagent', sagentQueue, sagentWorkers);
      const firstDecisionMs: number[] = [];
      const firstCompletionMs: number[] = [];
      for (const workflowId of restartIds) {
        const sent = performance.now();
        await decideSagent(workflowId);
        firstDecisionMs.push(round(performance.now() - sent));
        await client.workflow.getHandle(workflowId).result();
        firstCompletionMs.push(round(performance.now() - sent));
      }
      await stopAll(sagentWorkers);
      log(`restart: first decision ${firstDecisionMs.join(', ')} ms; completed ${firstCompletionMs.join(', ')} ms`);
      rounds.push({
        runs,
        maxCachedWorkflows: process.env.BENCH_MAX_CACHED_WORKFLOWS ?? 'sagent default',
        sagent,
        bare,
        afterRestart: { firstDecisionMs, firstCompletionMs },
      });
    }
  } finally {
    await stop();
  }
  const file = path.join(__dirname, 'results', 'fleet.json');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), plan, rounds }, null, 2)}\n`);
  console.log(renderFleet(rounds));
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

interface SideDriver {
  start(index: number): Promise<WorkflowHandle>;
  waitingQuery: string;
  decide(index: number): Promise<void>;
  result(index: number): Promise<unknown>;
}

/** With BENCH_HEAP_SNAPSHOT_DIR set, asks the worker for heap snapshots of its threads (`bench/heap-snapshots.ts`) and waits for them. */
async function heapSnapshots(log: (line: string) => void, pid: number, what: string): Promise<void> {
  const root = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  if (!root) return;
  const dir = path.join(root, String(pid));
  const taken = await fs.readdir(dir).catch(() => [] as string[]);
  const done = path.join(dir, `snapshot-${taken.filter((file) => file.endsWith('.done')).length + 1}.done`);
  process.kill(pid, 'SIGUSR2');
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
    const files = await fs.readFile(done, 'utf8').catch(() => undefined);
    if (files !== undefined) return log(`heap snapshots ${what}: ${files.split('\n').join(', ')}`);
  }
  throw new Error(`fleet: no heap snapshots from worker ${pid} in ${done} after 10 minutes`);
}

async function measureSide(
  log: (line: string) => void,
  name: string,
  client: Client,
  pids: { worker: number; server: number },
  runs: number,
  driver: SideDriver,
): Promise<FleetSide> {
  const pid = pids.worker;
  const idleRssMb = await settledRss(pid, 2000);
  await heapSnapshots(log, pid, `${name}, idle`);
  const began = performance.now();
  const cpuAtFirstStart = cpuMsOf(pid);
  const serverCpuAtFirstStart = cpuMsOf(pids.server);
  await inFlights(runs, 64, driver.start);
  const allStartedMs = round(performance.now() - began);
  await waitForCount(client, driver.waitingQuery, runs, 30 * 60_000);
  const toWaitingMs = round(performance.now() - began);
  const toWaitingCpuMs = round(cpuMsOf(pid) - cpuAtFirstStart);
  const toWaitingServerCpuMs = round(cpuMsOf(pids.server) - serverCpuAtFirstStart);
  const waitingRssMb = await settledRss(pid);
  log(
    `${name}: ${runs} started after ${allStartedMs} ms, waiting after ${toWaitingMs} ms (worker CPU ${toWaitingCpuMs} ms, server CPU ${toWaitingServerCpuMs} ms); RSS idle ${idleRssMb} MB, waiting ${waitingRssMb} MB`,
  );
  await heapSnapshots(log, pid, `${name}, ${runs} waiting`);
  const cpuAtStart = cpuMsOf(pid);
  const threadsAtStart = threadTicksOf(pid);
  const peak = peakSampler(pid);
  const approving = performance.now();
  const latencies = await inFlights(runs, 32, async (index) => {
    const sent = performance.now();
    await driver.decide(index);
    return performance.now() - sent;
  });
  await inFlights(runs, 256, driver.result);
  const approveAllMs = round(performance.now() - approving);
  const side: FleetSide = {
    runs,
    idleRssMb,
    waitingRssMb,
    kbPerWaitingRun: round(((waitingRssMb - idleRssMb) * 1024) / runs),
    toWaitingMs,
    approveAllMs,
    approveAllCpuMs: round(cpuMsOf(pid) - cpuAtStart),
    approveAllThreadCpuMs: threadCpuSince(pid, threadsAtStart),
    toWaitingCpuMs,
    allStartedMs,
    toWaitingServerCpuMs,
    approvePeakRssMb: peak(),
    decisionP50Ms: round(median(latencies)),
    decisionP99Ms: round(percentile(latencies, 99)),
  };
  log(`${name}: approved all in ${approveAllMs} ms, worker CPU ${side.approveAllCpuMs} ms, ${side.kbPerWaitingRun} KB per waiting run`);
  return side;
}

function renderFleet(rounds: FleetRound[]): string {
  const lines = ['figure                                         sagent          bare            ratio'];
  const row = (name: string, a: number, b: number) => `${name.padEnd(46)} ${String(a).padEnd(15)} ${String(b).padEnd(15)} ${round(a / b, 3)}`;
  for (const { runs, sagent, bare, afterRestart, maxCachedWorkflows } of rounds) {
    lines.push(`${runs} waiting runs (maxCachedWorkflows: ${maxCachedWorkflows})`);
    lines.push(row('  worker RSS idle MB', sagent.idleRssMb, bare.idleRssMb));
    lines.push(row('  worker RSS while they wait MB', sagent.waitingRssMb, bare.waitingRssMb));
    lines.push(row('  KB per waiting run', sagent.kbPerWaitingRun, bare.kbPerWaitingRun));
    lines.push(row('  start to all waiting ms', sagent.toWaitingMs, bare.toWaitingMs));
    lines.push(row('  approve all: ms to every run completed', sagent.approveAllMs, bare.approveAllMs));
    lines.push(row('  start to all waiting: worker CPU ms', sagent.toWaitingCpuMs, bare.toWaitingCpuMs));
    lines.push(row('  start to all waiting: dev server CPU ms', sagent.toWaitingServerCpuMs, bare.toWaitingServerCpuMs));
    lines.push(row('  start to every start answered ms', sagent.allStartedMs, bare.allStartedMs));
    lines.push(row('  approve all: worker CPU ms', sagent.approveAllCpuMs, bare.approveAllCpuMs));
    for (const thread of ['main', 'workflowThread', 'core', 'rest'] as const) {
      lines.push(row(`    of which ${thread}`, sagent.approveAllThreadCpuMs[thread] ?? Number.NaN, bare.approveAllThreadCpuMs[thread] ?? Number.NaN));
    }
    lines.push(row('  approve all: worker RSS peak MB', sagent.approvePeakRssMb, bare.approvePeakRssMb));
    lines.push(row('  decision accepted p50 ms', sagent.decisionP50Ms, bare.decisionP50Ms));
    lines.push(row('  decision accepted p99 ms', sagent.decisionP99Ms, bare.decisionP99Ms));
    lines.push(
      `  after a worker restart: first decision ms ${afterRestart.firstDecisionMs.join(', ')} (median ${median(afterRestart.firstDecisionMs)}); run completed ms ${afterRestart.firstCompletionMs.join(', ')}`,
    );
  }
  return lines.join('\n');
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
