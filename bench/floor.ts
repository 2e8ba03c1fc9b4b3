/**
 * The round-trip floor: a bare chain of no-op activities (no model, no tools, no sagent) on a dev server and an
 * in-process worker, under several server and worker configurations measured in one invocation. Each configuration
 * gets a fresh worker on a fresh task queue; its first run is reported apart from the median of the later ones, and
 * every run's history splits a round trip into workflow-task wait and run, and activity wait and run. A run on a
 * second fresh worker and a run after an idle pause tell a worker-side delay from a server-side one.
 *
 *   npm run bench:floor                       # every configuration, two rounds
 *   npm run bench:floor -- --quick            # fewer activities and runs, one round
 *   npm run bench:floor -- --only baseline,sagent-dev --activities 30 --runs 6 --rounds 1
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DEFAULT_NAMESPACE } from '../src/shared/constants';
import type { DevServer, DevServerOptions, DynamicConfigValue } from '../src/dev/temporal';
import { scratchRoot, startScratchDevServer } from './dev-server';
import { createFloorActivities } from './floor-activities';
import { median, round, tag } from './stats';

type ServerTuning = Pick<DevServerOptions, 'dynamicConfig' | 'defaultDynamicConfig' | 'extraArgs'>;
type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'nonStickyToStickyPollRatio'
  | 'maxCachedWorkflows'
  | 'stickyQueueScheduleToStartTimeout'
  | 'workflowTaskPollerBehavior'
  | 'activityTaskPollerBehavior'
  | 'enableNonLocalActivities'
  | 'maxEagerActivityReservationsPerWorkflowTask'
>;

const AUTOSCALING: WorkerTuning = { workflowTaskPollerBehavior: { type: 'autoscaling' }, activityTaskPollerBehavior: { type: 'autoscaling' } };

interface FloorConfig {
  name: string;
  /** What the configuration changes, for the table. */
  note: string;
  server: ServerTuning;
  worker?: WorkerTuning;
  /** Start runs with `requestEagerStart`, from a client on the worker's own connection. */
  eagerStart?: boolean;
}

/** The dev server as `temporal server start-dev` ships it: none of sagent's dynamic config. */
const STOCK_SERVER: ServerTuning = { defaultDynamicConfig: false };
/** The dev server as sagent starts it (src/dev/temporal.ts). */
const SAGENT_SERVER: ServerTuning = {};

const stock = (dynamicConfig: Record<string, DynamicConfigValue>): ServerTuning => ({ ...STOCK_SERVER, dynamicConfig });

const CONFIGS: FloorConfig[] = [
  { name: 'baseline', note: 'stock dev server, SDK worker defaults', server: STOCK_SERVER },
  // Server candidates, one at a time, on the stock server.
  {
    name: 'partitions-1',
    note: 'matching.numTaskqueue{Read,Write}Partitions=1',
    server: stock({ 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 }),
  },
  {
    name: 'no-eager-activities',
    note: 'system.enableActivityEagerExecution=false (the server default is true)',
    server: stock({ 'system.enableActivityEagerExecution': false }),
  },
  { name: 'long-poll-5s', note: 'matching.longPollExpirationInterval=5s', server: stock({ 'matching.longPollExpirationInterval': '5s' }) },
  {
    name: 'transfer-rps',
    note: 'history.transferProcessorMaxPollRPS=1000 (default 20 per shard)',
    server: stock({ 'history.transferProcessorMaxPollRPS': 1000 }),
  },
  // Worker and client candidates, one at a time, on the stock server.
  { name: 'no-sticky', note: 'worker maxCachedWorkflows=0', server: STOCK_SERVER, worker: { maxCachedWorkflows: 0 } },
  {
    name: 'polls-2',
    note: 'worker maxConcurrent{Workflow,Activity}TaskPolls=2',
    server: STOCK_SERVER,
    worker: { maxConcurrentWorkflowTaskPolls: 2, maxConcurrentActivityTaskPolls: 2 },
  },
  { name: 'autoscaling', note: 'worker autoscaling pollers', server: STOCK_SERVER, worker: AUTOSCALING },
  { name: 'eager-start', note: 'requestEagerStart, client on the worker connection', server: STOCK_SERVER, eagerStart: true },
  // sagent's dev server, alone and with the worker candidates on top.
  { name: 'sagent-dev', note: "sagent's dev server defaults (DEV_SERVER_DYNAMIC_CONFIG)", server: SAGENT_SERVER },
  {
    name: 'sagent-dev+partitions-1',
    note: 'sagent-dev, one task-queue partition',
    server: { dynamicConfig: { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 } },
  },
  {
    name: 'sagent-dev+polls-2',
    note: 'sagent-dev, 2 pollers of each kind',
    server: SAGENT_SERVER,
    worker: { maxConcurrentWorkflowTaskPolls: 2, maxConcurrentActivityTaskPolls: 2 },
  },
  { name: 'sagent-dev+autoscaling', note: 'sagent-dev, autoscaling pollers', server: SAGENT_SERVER, worker: AUTOSCALING },
  {
    name: 'sagent-dev+no-eager-act',
    note: 'sagent-dev, worker maxEagerActivityReservationsPerWorkflowTask=0',
    server: SAGENT_SERVER,
    worker: { maxEagerActivityReservationsPerWorkflowTask: 0 },
  },
  { name: 'sagent-dev+no-sticky', note: 'sagent-dev, worker maxCachedWorkflows=0', server: SAGENT_SERVER, worker: { maxCachedWorkflows: 0 } },
  { name: 'sagent-dev+eager-start', note: 'sagent-dev, requestEagerStart', server: SAGENT_SERVER, eagerStart: true },
];

interface Args {
  activities: number;
  runs: number;
  /** Passes over every configuration; samples pool across passes, so drift on the machine hits all alike. */
  rounds: number;
  only: string[] | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { activities: 30, runs: 6, rounds: 2, only: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--quick') Object.assign(args, { activities: 20, runs: 4, rounds: 1 });
    else if (flag === '--activities') args.activities = positiveInt(flag, value());
    else if (flag === '--runs') args.runs = positiveInt(flag, value());
    else if (flag === '--rounds') args.rounds = positiveInt(flag, value());
    else if (flag === '--only') args.only = value().split(',').filter(Boolean);
    else throw new Error(`unknown flag ${flag} (known: --quick, --activities N, --runs N, --rounds N, --only a,b)`);
  }
  if (args.runs < 2) throw new Error('--runs must be at least 2: the first run is reported apart');
  return args;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got ${text}`);
  return n;
}

/** Medians of one or more runs' round trips, in ms. */
interface Split {
  /** Wall time from start to result, divided by the number of activities (a mean: it keeps the stalls). */
  perActivityMs: number;
  /** One activity scheduled → the next one scheduled, from history: a whole round trip. */
  roundTripMs: number;
  wftWaitMs: number;
  wftRunMs: number;
  activityWaitMs: number;
  activityRunMs: number;
  /** Activity completed → next activity scheduled: the workflow-task half of a round trip. */
  completedToNextScheduledMs: number;
}

/** Every run of one configuration, by situation. */
interface ConfigRuns {
  /** The first run on a fresh worker and a fresh server. */
  first: RunTimes[];
  /** The runs after it. */
  later: RunTimes[];
  /** One run on a second fresh worker (its own task queue) on the same server, right after the later runs. */
  secondWorker: RunTimes[];
  /** One run on the first worker after {@link IDLE_MS} of idling. */
  afterIdle: RunTimes[];
}

/** Long enough for a token bucket of 20 per second and burst 40 to fill up again. */
const IDLE_MS = 2_500;

interface RunTimes {
  wallMs: number;
  roundTrip: number[];
  wftWait: number[];
  wftRun: number[];
  activityWait: number[];
  activityRun: number[];
  completedToNextScheduled: number[];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const configs = args.only ? CONFIGS.filter((config) => args.only!.includes(config.name)) : CONFIGS;
  const unknown = (args.only ?? []).filter((name) => !CONFIGS.some((config) => config.name === name));
  if (unknown.length > 0) throw new Error(`unknown configuration ${unknown.join(', ')} (known: ${CONFIGS.map((c) => c.name).join(', ')})`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./floor-workflows'), logger: new DefaultLogger('ERROR') });

  const pooled = new Map<FloorConfig, ConfigRuns>(configs.map((config) => [config, { first: [], later: [], secondWorker: [], afterIdle: [] }]));
  for (let round = 1; round <= args.rounds; round++) {
    for (const config of configs) {
      const runs = await measureConfig(config, bundle, args);
      const pool = pooled.get(config)!;
      for (const key of Object.keys(pool) as (keyof ConfigRuns)[]) pool[key].push(...runs[key]);
      const later = splitOf(runs.later, args.activities);
      log(`floor: round ${round}/${args.rounds}: ${config.name}: later runs ${later.perActivityMs} ms per round trip (${later.roundTripMs} sched→sched)`);
    }
  }
  process.stdout.write(renderFloor([...pooled], args));
}

async function measureConfig(config: FloorConfig, bundle: WorkflowBundleWithSourceMap, args: Args): Promise<ConfigRuns> {
  const dir = await fs.mkdtemp(path.join(await scratchRoot(), 'sagent-floor-'));
  let devServer: DevServer | null = null;
  try {
    devServer = await startScratchDevServer(dir, config.server);
    const connection = await NativeConnection.connect({ address: devServer.address });
    const client = new Client({ connection, namespace: DEFAULT_NAMESPACE });
    try {
      // The second worker is up before the first run, so its run can follow the later runs without a pause.
      const first = await startWorker(connection, config, bundle);
      const second = await startWorker(connection, config, bundle).catch(async (err) => {
        await first.stop();
        throw err;
      });
      try {
        const runs: TimedRun[] = [];
        for (let run = 0; run < args.runs; run++) runs.push(await timedRun(client, first.taskQueue, config, args.activities, `r${run}`));
        const secondRun = await timedRun(client, second.taskQueue, config, args.activities, 'second');
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        const idleRun = await timedRun(client, first.taskQueue, config, args.activities, 'idle');
        const [firstRun, ...later] = await Promise.all(runs.map(timesOf));
        return { first: [firstRun], later, secondWorker: [await timesOf(secondRun)], afterIdle: [await timesOf(idleRun)] };
      } finally {
        await second.stop();
        await first.stop();
      }
    } finally {
      await connection.close();
    }
  } finally {
    await devServer?.stop().catch((err) => process.stderr.write(`floor: stopping the dev server failed: ${String(err)}\n`));
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A worker of its own task queue, running until stopped. */
async function startWorker(
  connection: NativeConnection,
  config: FloorConfig,
  bundle: WorkflowBundleWithSourceMap,
): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const taskQueue = `floor-${config.name}-${tag()}`;
  const worker = await Worker.create({
    connection,
    namespace: DEFAULT_NAMESPACE,
    taskQueue,
    workflowBundle: bundle,
    activities: createFloorActivities(),
    ...config.worker,
  });
  const running = worker.run();
  return {
    taskQueue,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

interface TimedRun {
  handle: WorkflowHandle;
  wallMs: number;
}

async function timedRun(client: Client, taskQueue: string, config: FloorConfig, activities: number, run: string): Promise<TimedRun> {
  const started = performance.now();
  const handle = await client.workflow.start('noopChain', {
    taskQueue,
    workflowId: `floor-${config.name}-${run}-${tag()}`,
    args: [activities],
    workflowExecutionTimeout: '5 minutes',
    ...(config.eagerStart ? { requestEagerStart: true } : {}),
  });
  const done = (await handle.result()) as number;
  const wallMs = performance.now() - started;
  if (done !== activities) throw new Error(`floor: ${handle.workflowId} ran ${done} activities, expected ${activities}`);
  return { handle, wallMs };
}

/** History is read after the runs, so reading it never stands between two timed runs. */
async function timesOf(run: TimedRun): Promise<RunTimes> {
  return { wallMs: run.wallMs, ...(await intervalsOf(run.handle)) };
}

/** The round trip's parts, read from the run's event times. */
async function intervalsOf(handle: WorkflowHandle): Promise<Omit<RunTimes, 'wallMs'>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const at = new Map<number, number>();
  const times: Omit<RunTimes, 'wallMs'> = { roundTrip: [], wftWait: [], wftRun: [], activityWait: [], activityRun: [], completedToNextScheduled: [] };
  let lastActivityCompleted: number | null = null;
  let lastActivityScheduled: number | null = null;
  for (const event of events) {
    const time = event.eventTime ? Number(event.eventTime.seconds) * 1000 + (event.eventTime.nanos ?? 0) / 1e6 : Number.NaN;
    at.set(Number(event.eventId), time);
    const since = (id: unknown) => time - at.get(Number(id))!;
    if (event.workflowTaskStartedEventAttributes) times.wftWait.push(since(event.workflowTaskStartedEventAttributes.scheduledEventId));
    if (event.workflowTaskCompletedEventAttributes) times.wftRun.push(since(event.workflowTaskCompletedEventAttributes.startedEventId));
    if (event.activityTaskStartedEventAttributes) times.activityWait.push(since(event.activityTaskStartedEventAttributes.scheduledEventId));
    if (event.activityTaskCompletedEventAttributes) {
      times.activityRun.push(since(event.activityTaskCompletedEventAttributes.startedEventId));
      lastActivityCompleted = time;
    }
    if (event.activityTaskScheduledEventAttributes) {
      if (lastActivityCompleted !== null) times.completedToNextScheduled.push(time - lastActivityCompleted);
      if (lastActivityScheduled !== null) times.roundTrip.push(time - lastActivityScheduled);
      lastActivityScheduled = time;
    }
  }
  return times;
}

function splitOf(runs: RunTimes[], activities: number): Split {
  const all = (pick: (run: RunTimes) => number[]) => round(median(runs.flatMap(pick)), 2);
  return {
    perActivityMs: round(median(runs.map((run) => run.wallMs / activities)), 2),
    roundTripMs: all((run) => run.roundTrip),
    wftWaitMs: all((run) => run.wftWait),
    wftRunMs: all((run) => run.wftRun),
    activityWaitMs: all((run) => run.activityWait),
    activityRunMs: all((run) => run.activityRun),
    completedToNextScheduledMs: all((run) => run.completedToNextScheduled),
  };
}

function renderFloor(results: [FloorConfig, ConfigRuns][], args: Args): string {
  const header = [
    'configuration',
    'wall/activity',
    'sched→sched',
    'WFT sched→start',
    'WFT start→done',
    'act sched→start',
    'act start→done',
    'act done→next sched',
  ];
  const later = table(
    `Later runs, ms per round trip: wall/activity = median over ${args.rounds * (args.runs - 1)} runs of ${args.activities} no-op activities ` +
      `of (start to result) / ${args.activities}; the other columns are medians over every event of those runs`,
    header,
    results.map(([config, runs]) => {
      const s = splitOf(runs.later, args.activities);
      return [config.name, s.perActivityMs, s.roundTripMs, s.wftWaitMs, s.wftRunMs, s.activityWaitMs, s.activityRunMs, s.completedToNextScheduledMs].map(
        String,
      );
    }),
  );
  const situations = table(
    `ms per round trip (wall/activity) by situation, WFT sched→start in brackets; ${args.rounds} run(s) each but "later runs"`,
    ['configuration', 'first run', 'later runs', 'second worker', `after ${IDLE_MS / 1000} s idle`],
    results.map(([config, runs]) => [
      config.name,
      ...[runs.first, runs.later, runs.secondWorker, runs.afterIdle].map((sample) => {
        const s = splitOf(sample, args.activities);
        return `${s.perActivityMs} (${s.wftWaitMs})`;
      }),
    ]),
  );
  const notes = results.map(([config]) => `  ${config.name.padEnd(24)} ${config.note}`).join('\n');
  return `${later}\n\n${situations}\n\nConfigurations:\n${notes}\n`;
}

function table(title: string, header: string[], rows: string[][]): string {
  const widths = header.map((_, column) => Math.max(header[column].length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [title, line(header), ...rows.map(line)].join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
