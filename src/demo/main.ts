/**
 * `npm run demo [-- --yes]`: everything on embedded defaults, then two trips and a notes run.
 *
 * - Temporal: the local dev server, started detached so its UI stays up afterwards (unless TEMPORAL_ADDRESS names a
 *   server); the demo services and a worker in this process; the scripted model server unless ANTHROPIC_API_KEY is
 *   set, in which case the runs talk to Claude.
 * - The happy trip (Lisbon): the `trip` agent books a flight, a hotel and a car, then delegates the payment and the
 *   confirmation to the `payments` sub-agent (a child workflow), which pauses for approval of the charge and of the
 *   email; the decisions go through the trip's id, with the same code as `sagent approve`.
 * - The unlucky trip (Porto): the sub-agent's card is declined, it rolls itself back, and since payment is critical
 *   the trip's bookings are undone newest-first.
 * - The notes run: the `notes` agent records both trips in the knowledge graph of the MCP memory server (two
 *   compensable writes), reads them back, then aborts, so the memory server deletes them again, newest-first. Each
 *   demo gets a fresh graph file, so every demo ends with the same graph.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type Anthropic from '@anthropic-ai/sdk';
import { Command, CommanderError } from 'commander';
import { DefaultLogger, Runtime, type LogLevel, type NativeConnection, type Worker } from '@temporalio/worker';
import { SagentClient, connectClient, createAnthropicClient, resolveConnection, type ConnectedTemporal, type RunView } from '../index';
import { EXIT, Output, describeError, ledgerLines, processIO, watchRun, type CliIO, type TimelineRenderer } from '../cli';
import { brief, shortHash, table, usd } from '../cli/io';
import { ensureKey } from '../operations/keys';
import { buildRunInput } from '../operations/start';
import { DEFAULT_UI_URL } from '../shared/constants';
import type { PendingApproval, RunState } from '../workflow';
import { ensureDevServer, loadScenarios, startModelServer, type DevServer, type ModelServer } from '../testing';
import { setUpDemoCodec } from './codec';
import { DEFAULT_DATA_DIR } from './services/db';
import { DEFAULT_SERVICES_PORT, startServices, type RunningServices } from './services/server';
import { createDemoWorker } from './worker';

/** Who approves in the demo; `sagent approve … --as you` from a second terminal. */
const APPROVER = 'you';
/** How the demo names the CLI in the commands it prints: works from the repository without a global install. */
const CLI = 'npm run sagent --';

interface DemoRun {
  title: string;
  agent: 'trip' | 'notes';
  idPrefix: string;
  expect: 'completed' | 'compensated';
  task: string;
}

const RUNS: DemoRun[] = [
  {
    title: 'The happy trip: Lisbon',
    agent: 'trip',
    idPrefix: 'happy-trip',
    expect: 'completed',
    task:
      'Book a trip to Lisbon for Ada Lovelace, flying from London on 2026-05-14 and back on 2026-05-17: a flight, a hotel ' +
      'and a rental car. Charge card 4242 4242 4242 4242 for the total, then email the confirmation to ada@example.com.',
  },
  {
    title: 'The unlucky trip: Porto',
    agent: 'trip',
    idPrefix: 'unlucky-trip',
    expect: 'compensated',
    task:
      'Book a trip to Porto for Grace Hopper, flying from London on 2026-06-03 and back on 2026-06-06: a flight, a hotel ' +
      'and a rental car. Charge card 4000 0000 0000 0002 for the total, then email the confirmation to grace@example.com.',
  },
  {
    title: 'The notes: both trips in an MCP knowledge graph',
    agent: 'notes',
    idPrefix: 'trip-notes',
    expect: 'compensated',
    task:
      'Note both of today\'s trips in the knowledge graph, one entity of type trip each: "Lisbon trip" (Ada Lovelace, ' +
      '2026-05-14 to 2026-05-17, paid) and "Porto trip" (Grace Hopper, 2026-06-03 to 2026-06-06, card declined). Then ' +
      'search the graph for "trip" to check both are there. These notes are kept only if every trip went ahead, and ' +
      'Porto did not: after the search, abort, so the notes are removed again.',
  },
];

interface DemoOptions {
  yes: boolean;
  dataDir: string;
}

/** What the runs run with: the client, where to print, and the services and graph the demo cross-checks. */
interface DemoContext {
  io: CliIO;
  out: Output;
  sagent: SagentClient;
  servicesUrl: string;
  /** The memory server's knowledge graph for this demo: a fresh file, so no earlier demo's notes show up. */
  memoryFile: string;
}

/** Ctrl-C between runs: the runs go on in Temporal without this process's worker. */
class DemoInterruptedError extends Error {
  override name = 'DemoInterruptedError' as const;
}

/** What the demo started and must stop, newest first. */
class Resources {
  private readonly closers: Array<{ what: string; close: () => Promise<unknown> }> = [];

  add(what: string, close: () => Promise<unknown>): void {
    this.closers.push({ what, close });
  }

  async closeAll(io: CliIO): Promise<void> {
    for (const { what, close } of this.closers.reverse()) {
      await close().catch((err: unknown) => io.stderr.write(`warning: could not stop ${what}: ${describeError(err)}\n`));
    }
    this.closers.length = 0;
  }
}

/** Runs the demo and resolves to its exit code. */
export async function runDemo(argv: readonly string[] = process.argv, io: CliIO = processIO()): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseOptions(argv, io);
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? EXIT.ok : EXIT.error;
    throw err;
  }
  const resources = new Resources();
  const interrupted = new AbortController();
  const onSigint = () => interrupted.abort();
  process.once('SIGINT', onSigint);
  let devServer: DevServer | null = null;
  try {
    const started = Date.now();
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const setup = await setUp(io, options, resources, path.resolve('.sagent', `demo-memory-${stamp}.jsonl`));
    devServer = setup.devServer;
    const { demo } = setup;
    const views: RunView[] = [];
    for (const run of RUNS) {
      if (interrupted.signal.aborted) break;
      views.push(await runOne(demo, run, `${run.idPrefix}-${stamp}`, options, interrupted.signal));
    }
    if (interrupted.signal.aborted) {
      throw new DemoInterruptedError(
        `interrupted: the runs wait in Temporal for a worker; resume them with \`npm run worker\` and follow with \`${CLI} watch <id>\``,
      );
    }
    await printSummary(demo, views, Date.now() - started);
    const unexpected = views.filter((view, i) => view.status !== RUNS[i].expect);
    return unexpected.some((view) => view.status === 'failed') ? EXIT.error : EXIT.ok;
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).name === 'DemoInterruptedError' ? (err as Error).message : describeError(err)}\n`);
    if (io.env.SAGENT_DEBUG === '1' && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return EXIT.error;
  } finally {
    process.off('SIGINT', onSigint);
    await resources.closeAll(io);
    if (devServer?.started && devServer.outlivesProcess) {
      io.stdout.write(`\nThe Temporal dev server keeps running so the UI stays up at ${devServer.uiUrl}; stop it with \`npm run dev:stop\`.\n`);
    }
  }
}

function parseOptions(argv: readonly string[], io: CliIO): DemoOptions {
  const program = new Command('demo')
    .description('sagent on embedded defaults: a Temporal dev server, the demo services, a worker, then two trips and a notes run')
    .option('-y, --yes', 'approve every paused call without asking')
    .option('--data-dir <dir>', "the services' PGlite directory, or memory://", DEFAULT_DATA_DIR)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .addHelpText(
      'after',
      `
Examples:
  $ npm run demo
  $ npm run demo -- --yes

Without --yes, a terminal asks before each paused call; without a terminal, the demo prints the
\`${CLI} approve …\` command to run from a second terminal and waits.`,
    );
  program.parse([...argv]);
  const opts = program.opts<{ yes?: boolean; dataDir: string }>();
  return { yes: opts.yes === true, dataDir: opts.dataDir };
}

async function setUp(io: CliIO, options: DemoOptions, resources: Resources, memoryFile: string): Promise<{ demo: DemoContext; devServer: DevServer | null }> {
  const say = (text: string) => io.stdout.write(`${text}\n`);
  // The worker's own logs (bundling, expected activity failures) would drown the timelines: errors only by default.
  Runtime.install({ logger: new DefaultLogger((io.env.SAGENT_LOG_LEVEL?.toUpperCase() ?? 'ERROR') as LogLevel) });
  const config = resolveConnection(io.env);
  let devServer: DevServer | null = null;
  let temporal: ConnectedTemporal;
  const codec = await setUpDemoCodec(io, { external: config.external, resources });
  if (config.external) {
    temporal = await connectClient({ config });
    say(`Temporal: ${config.address} (namespace ${config.namespace}, from TEMPORAL_ADDRESS)`);
  } else {
    say('Temporal: starting the local dev server (or reusing the one on 127.0.0.1:7233)...');
    devServer = await ensureDevServer({ detached: true, uiCodecEndpoint: codec.uiEndpoint });
    await codec.checkDevServer(devServer);
    const server = devServer;
    if (!server.outlivesProcess) resources.add('the Temporal dev server', () => server.stop());
    temporal = await connectClient({ config: { address: server.address, namespace: server.namespace, external: false } });
    say(`Temporal: ${server.address} (${server.started ? 'started' : 'already running'}), UI ${server.uiUrl}`);
  }
  resources.add('the Temporal client', () => temporal.close());

  const services = await startDemoServices(io, options.dataDir);
  resources.add('the demo services', () => services.close());
  say(`Services: ${services.url} (${services.database})`);

  let anthropic: Anthropic;
  if (io.env.ANTHROPIC_API_KEY) {
    anthropic = createAnthropicClient();
    say('Model: Claude (ANTHROPIC_API_KEY is set)');
  } else {
    const modelServer: ModelServer = await startModelServer({ scenarios: loadScenarios(path.join(__dirname, 'scenarios')) });
    resources.add('the scripted model server', () => modelServer.close());
    anthropic = createAnthropicClient({ baseURL: modelServer.url, apiKey: 'offline' });
    say(`Model: the scripted model server at ${modelServer.url} (set ANTHROPIC_API_KEY to use Claude)`);
  }

  const taskQueue = `sagent-demo-${process.pid}-${Date.now().toString(36)}`;
  const nativeConnection: NativeConnection = await temporal.connectWorkerConnection();
  resources.add('the worker connection', () => nativeConnection.close());
  const worker: Worker = await createDemoWorker({
    connection: nativeConnection,
    namespace: temporal.config.namespace,
    taskQueue,
    anthropic,
    servicesUrl: services.url,
    notes: { memoryFile },
    overrides: { shutdownGraceTime: '2s' },
  });
  const running = worker.run();
  resources.add('the worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  say(`Worker: task queue ${taskQueue}`);
  say(`MCP: the notes agent's memory server keeps its graph in ${path.relative(process.cwd(), memoryFile)} (new for this demo)`);

  const sagent = new SagentClient({
    client: temporal.client,
    namespace: temporal.config.namespace,
    taskQueue,
    uiUrl: devServer?.uiUrl ?? io.env.SAGENT_UI_URL ?? DEFAULT_UI_URL,
  });
  return { demo: { io, out: new Output(io), sagent, servicesUrl: services.url, memoryFile }, devServer };
}

/** The services on their usual port when it is free (so `sagent ledger` finds them), on any free port otherwise. */
async function startDemoServices(io: CliIO, dataDir: string): Promise<RunningServices> {
  const port = Number(io.env.SAGENT_SERVICES_PORT) || DEFAULT_SERVICES_PORT;
  try {
    return await startServices({ port, dataDir });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startServices({ port: 0, dataDir });
  }
}

async function runOne(demo: DemoContext, run: DemoRun, workflowId: string, options: DemoOptions, signal: AbortSignal): Promise<RunView> {
  const { out, sagent } = demo;
  out.line('');
  out.line(out.style('bold', `── ${run.title} ──`));
  // The demo's approver signs every pause (the trip's payments sub-agent, a deletion in the graph): its key is created
  // on the first run, and its runs accept only that key's signature.
  const key = ensureKey(APPROVER, demo.io.env);
  const input = buildRunInput({ agent: run.agent, task: run.task, approver: [`${APPROVER}:${key.publicKey}`] }, demo.io.env);
  await sagent.start(input, { workflowId, startedBy: 'Started by `npm run demo`.' });
  out.line(`started ${workflowId}`);
  out.line(`  UI: ${sagent.uiLink(workflowId)}`);
  const decided = new Set<string>();
  const { view } = await watchRun(sagent, out, workflowId, {
    signal,
    renderer: { approvalHints: false, cli: CLI },
    onState: (state, renderer) => answerApprovals(demo, state, renderer, decided, options),
  });
  return view;
}

/** Each new pending call: approved with --yes, asked about on a terminal, or left to a second terminal. */
async function answerApprovals(demo: DemoContext, state: RunState, renderer: TimelineRenderer, decided: Set<string>, options: DemoOptions): Promise<void> {
  const interactive = demo.io.stdin.isTTY === true && demo.io.stdout.isTTY === true;
  // A sub-agent's calls are decided through the parent's id, as `sagent approve` resolves them.
  const pending = [...state.pendingApprovals, ...(state.delegations ?? []).flatMap((delegation) => delegation.pendingApprovals)];
  for (const request of pending) {
    if (decided.has(request.argsHash)) continue;
    decided.add(request.argsHash);
    if (options.yes) {
      await send(demo, renderer, state.workflowId, request, 'approve', 'approved in the demo (--yes)');
    } else if (interactive) {
      renderer.pause();
      const yes = await ask(demo.io, `  approve ${request.tool} ${brief(request.input, 160)}? [y/N] `);
      renderer.resume();
      if (yes) await send(demo, renderer, state.workflowId, request, 'approve', 'approved at the demo prompt');
      else await send(demo, renderer, state.workflowId, request, 'reject', 'rejected at the demo prompt');
    } else {
      renderer.say(`    ${request.tool} waits for your decision; from a second terminal, in this directory, run:`);
      renderer.say(`      ${CLI} approve ${state.workflowId} ${request.callId} --as ${APPROVER} --expect-hash ${shortHash(request.argsHash)}`);
      renderer.say(`    or: ${CLI} reject ${state.workflowId} ${request.callId} --as ${APPROVER} --reason "not this one"`);
    }
  }
}

async function send(
  demo: DemoContext,
  renderer: TimelineRenderer,
  workflowId: string,
  request: PendingApproval,
  decision: 'approve' | 'reject',
  reason: string,
): Promise<void> {
  // The same call `sagent approve` makes: the update, pinned to the hash that was shown.
  const privateKey = ensureKey(APPROVER, demo.io.env).privateKey;
  const report = await demo.sagent.decide({
    workflowId,
    callId: request.callId,
    decision,
    approver: APPROVER,
    reason,
    expectHash: request.argsHash,
    privateKey,
  });
  renderer.say(`  → ${decision === 'approve' ? 'approved' : 'rejected'} ${report.tool} (${report.callId}) as ${APPROVER}`);
}

/** The memory server's JSONL file, one entity or relation a line, in a phrase: what the notes run left behind. */
function describeGraph(memoryFile: string): string {
  let text: string;
  try {
    text = fs.readFileSync(memoryFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'never written';
    throw err;
  }
  const entities = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type?: string; name?: string })
    .filter((item) => item.type === 'entity')
    .map((item) => item.name);
  return entities.length === 0 ? 'empty' : `${entities.length} entit${entities.length === 1 ? 'y' : 'ies'}: ${entities.join(', ')}`;
}

async function ask(io: CliIO, question: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

async function printSummary(demo: DemoContext, views: RunView[], elapsedMs: number): Promise<void> {
  const { out, sagent } = demo;
  out.line('');
  out.line(out.style('bold', `── Summary (${(elapsedMs / 1000).toFixed(1)} s) ──`));
  const rows = views.map((view) => [
    view.workflowId,
    view.status,
    String(view.steps ?? '?'),
    String(view.effects.length),
    String(view.effects.filter((effect) => effect.compensation === 'compensated').length),
    usd(view.usage.costUsd),
  ]);
  for (const line of table(['run', 'outcome', 'steps', 'effects', 'undone', 'cost'], rows)) out.line(line);
  out.line('');
  out.line(`The ledgers, cross-checked with the services' own rows (${CLI} ledger <run> --services-url ${demo.servicesUrl}):`);
  for (const view of views) {
    const ledger = await sagent.ledger(view.workflowId, { servicesUrl: demo.servicesUrl });
    for (const line of ledgerLines(ledger)) out.line(`  ${line}`);
  }
  out.line('');
  // The saga undoes newest-first by construction: the notes run's timeline shows the order.
  const notesUndone = views
    .filter((view) => view.agent === 'notes')
    .flatMap((view) => view.effects.filter((effect) => effect.compensation === 'compensated')).length;
  const undoneNote = notesUndone > 0 ? `; the notes run's ${notesUndone} MCP write(s) were undone, newest first` : '';
  const graphFile = path.relative(process.cwd(), demo.memoryFile);
  out.line(`The knowledge graph as the memory server left it (${graphFile}): ${describeGraph(demo.memoryFile)}${undoneNote}`);
  out.line('');
  for (const view of views) out.line(`${view.workflowId}: ${sagent.uiLink(view.workflowId)}`);
  out.line('');
  out.line(`Inspect a run: ${CLI} ledger <run>   ·   its history: ${CLI} history <run>`);
}

if (require.main === module) {
  runDemo().then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(code), 3_000).unref();
    },
    (err: unknown) => {
      console.error(`error: ${describeError(err)}`);
      process.exit(1);
    },
  );
}
