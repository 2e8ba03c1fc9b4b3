/**
 * `npx tsx bench/flood.ts [senders] [seconds] [kilobytes] [both|updates|signals]`: strangers flood runs that wait for a
 * signed approval with junk `approval` signals and `decide` updates (defaults: 3 senders, 20 s, 1,500 KB each, under
 * the server's 2 MB payload limit, both kinds), sending as fast as the server answers (no client retries), while a
 * worker serves the runs. Prints the junk sent and why it was refused, what it did to the runs' history (bytes, events,
 * continue-as-new), the worker's CPU time, and how long a real signed approval took to get through, quiet and under
 * the flood. The senders run in a process of their own, so the CPU figure is the worker's (and this process's client).
 * A scratch dev server of its own.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { SagentClient } from '../src/client';
import { demoAgents } from '../src/demo/agents/implementations';
import type { RespondingScenario } from '../src/dev/scenario';
import { newKeyPair } from '../src/policies/signature';
import { approvalSignal, decideUpdate, getStateQuery } from '../src/shared/contracts';
import { createSagentWorker } from '../src/worker';
import { startBenchStack } from './dev-server';
import { printColumns, runMain } from './entry';

const [SENDERS, SECONDS, KILOBYTES] = (process.env.SAGENT_FLOOD ?? `${process.argv[2] ?? 3},${process.argv[3] ?? 20},${process.argv[4] ?? 1_500}`)
  .split(',')
  .map(Number);
/** What the strangers send: `both` alternates signals and updates; `updates` or `signals` sends one kind only. */
const KINDS = process.env.SAGENT_FLOOD_KINDS ?? process.argv[5] ?? 'both';
if (!['both', 'updates', 'signals'].includes(KINDS)) throw new Error(`the fifth argument is what to send: both, updates or signals (not ${KINDS})`);
/** Runs waiting in each phase; each gets one real approval. */
const RUNS = 3;

const scenario: RespondingScenario = {
  name: 'bench-flood',
  match: { runIdPrefix: 'bench-flood-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? { content: [{ type: 'tool_use', name: 'charge_card', input: { amountCents: 4200, currency: 'EUR', card: '4242424242424242', description: 'flood' } }] }
      : { content: [{ type: 'text', text: 'Done.' }] },
};

/** One stranger: alternates junk signals and junk updates at the runs until the deadline; prints what it sent. */
async function sender(address: string, namespace: string, ids: string[]): Promise<void> {
  // A stranger does not back off: no retry interceptor (the SDK's default retries a refused request for seconds).
  const client = new Client({ connection: await Connection.connect({ address, interceptors: [] }), namespace });
  const deadline = Date.now() + SECONDS * 1000;
  process.stdout.write('ready\n');
  const junk = { callId: 'call-1', argsHash: 'f'.repeat(64), decision: 'approve' as const, approver: 'mallory', reason: 'x'.repeat(KILOBYTES * 1024) };
  const sent: Sent = { signals: 0, updates: 0, refused: 0, why: {} };
  for (let n = 0; Date.now() < deadline; n += 1) {
    const handle = client.workflow.getHandle(ids[n % ids.length]);
    try {
      if (KINDS === 'signals' || (KINDS === 'both' && n % 2 === 0)) {
        sent.signals += 1;
        await handle.signal(approvalSignal, junk);
      } else {
        sent.updates += 1;
        await handle.executeUpdate(decideUpdate, { args: [junk] });
      }
    } catch (err) {
      sent.refused += 1;
      const cause = (err as { cause?: Error }).cause;
      const why = `${KINDS === 'signals' || (KINDS === 'both' && n % 2 === 0) ? 'signal' : 'update'}: ${(err as Error).name}${cause ? ` (${cause.name})` : ''}: ${oneLine(cause ?? err).slice(0, 110)}`;
      sent.why[why] = (sent.why[why] ?? 0) + 1;
    }
  }
  process.stdout.write(JSON.stringify(sent));
  await client.connection.close();
}

type Sent = { signals: number; updates: number; refused: number; why: Record<string, number> };

/** An error's message on one line, without the stack. */
function oneLine(err: unknown): string {
  return String((err as Error).message ?? err).replace(/\s+/g, ' ');
}

/** Adds what two senders sent. */
function addSent(a: Sent, b: Sent): Sent {
  const why = { ...a.why };
  for (const [reason, count] of Object.entries(b.why)) why[reason] = (why[reason] ?? 0) + count;
  return { signals: a.signals + b.signals, updates: a.updates + b.updates, refused: a.refused + b.refused, why };
}

/** Starts `SENDERS` sender processes; `ready` once they all send, `done` with what they sent once they stop. */
function flood(address: string, namespace: string, ids: string[]): { ready: Promise<unknown>; done: Promise<Sent> } {
  const children = Array.from({ length: SENDERS }, () => {
    const env = { ...process.env, SAGENT_FLOOD: `${SENDERS},${SECONDS},${KILOBYTES}`, SAGENT_FLOOD_KINDS: KINDS };
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--sender', address, namespace, ...ids], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    let out = '';
    let ready: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.startsWith('ready\n')) ready();
    });
    const done = new Promise<Sent>((resolve, reject) =>
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as Sent) : reject(new Error(`a sender exited with ${code}`)))),
    );
    return { started, done };
  });
  return {
    ready: Promise.all(children.map((child) => child.started)),
    done: Promise.all(children.map((child) => child.done)).then((all) => all.reduce(addSent)),
  };
}

/** Bytes and events of every run of each id's chain, and how many times they continued as new. */
async function historyOf(client: Client, ids: string[]): Promise<{ bytes: number; events: number; continued: number }> {
  const total = { bytes: 0, events: 0, continued: 0 };
  for (const id of ids) {
    for await (const run of client.workflow.list({ query: `WorkflowId = '${id}'` })) {
      const described = await client.workflow.getHandle(id, run.runId).describe();
      total.bytes += Number(described.historySize ?? 0);
      total.events += described.historyLength;
      if (run.status.name === 'CONTINUED_AS_NEW') total.continued += 1;
    }
  }
  return total;
}

/** Until the run waits for its approval (it registers its handlers once its start-up activities are done). */
async function awaitingApproval(handle: WorkflowHandle): Promise<void> {
  for (;;) {
    const status = await handle.query(getStateQuery).then(
      (state) => state.status,
      (err: Error) => {
        if (err.name !== 'QueryNotRegisteredError') throw err;
        return 'starting';
      },
    );
    if (status === 'awaiting_approval') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const stack = await startBenchStack('flood', scenario);
  const { devServer, model, services, connection, client, workflowBundle } = stack;
  const taskQueue = `bench-flood-${randomUUID().slice(0, 8)}`;
  const sagent = new SagentClient({ client, taskQueue });
  const worker = await createSagentWorker({
    connection,
    namespace: devServer.namespace,
    taskQueue,
    workflowBundle,
    agents: demoAgents({ servicesUrl: services.url }).slice(0, 1),
    anthropic: new (await import('@anthropic-ai/sdk')).default({ apiKey: 'bench', baseURL: model.url, maxRetries: 0 }),
    breakerBoard: false,
  });
  const running = worker.run();
  const ana = newKeyPair();
  const rows: string[][] = [];
  try {
    for (const flooded of [false, true]) {
      const ids = Array.from({ length: RUNS }, () => `bench-flood-${randomUUID().slice(0, 8)}`);
      const handles: WorkflowHandle[] = [];
      for (const workflowId of ids) {
        const input = { agent: 'travel', task: 'Charge the card', approval: { approvers: [{ name: 'ana', publicKey: ana.publicKey }] } };
        handles.push(await client.workflow.start('agentSaga', { workflowId, taskQueue, args: [input] }));
      }
      for (const handle of handles) await awaitingApproval(handle);
      const strangers = flooded ? flood(devServer.address, devServer.namespace, ids) : undefined;
      await strangers?.ready;
      const cpuBefore = process.cpuUsage();
      // The quiet phase lasts as long, so the CPU figures compare.
      const quiet = new Promise<Sent>((resolve) => setTimeout(() => resolve({ signals: 0, updates: 0, refused: 0, why: {} }), SECONDS * 1000));
      const sending = strangers?.done ?? quiet;
      // Halfway through the flood, ana approves each run in turn, as `sagent approve` does (a signed update).
      await new Promise((resolve) => setTimeout(resolve, (SECONDS * 1000) / 2));
      const latencies: number[] = [];
      const failures: string[] = [];
      for (const workflowId of ids) {
        const startedAt = Date.now();
        // As a person would: try again until it goes through (or two minutes pass), noting what each failure said.
        for (;;) {
          try {
            await sagent.decide({ workflowId, callId: 'call-1', decision: 'approve', approver: 'ana', privateKey: ana.privateKey });
            break;
          } catch (err) {
            failures.push(`${(err as Error).name}: ${(err as Error).message.slice(0, 90)}`);
            if (Date.now() - startedAt > 120_000) throw err;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
        latencies.push(Date.now() - startedAt);
      }
      for (const failure of new Set(failures))
        console.log(`  ${flooded ? 'flood' : 'quiet'}: an approval failed ${failures.filter((one) => one === failure).length}x: ${failure}`);
      const sent = await sending;
      for (const [why, count] of Object.entries(sent.why)) console.log(`  junk refused ${count}x: ${why}`);
      await Promise.all(handles.map((handle) => handle.result()));
      const cpu = process.cpuUsage(cpuBefore);
      const history = await historyOf(client, ids);
      rows.push([
        flooded ? `flood (${SENDERS} senders, ${SECONDS} s, ${KILOBYTES} KB ${KINDS === 'both' ? 'signals and updates' : KINDS})` : 'quiet',
        `${sent.signals}/${sent.updates}`,
        String(sent.refused),
        (history.bytes / RUNS / 1024).toFixed(0),
        (history.events / RUNS).toFixed(0),
        String(history.continued),
        ((cpu.user + cpu.system) / 1e6).toFixed(1),
        latencies.map((ms) => String(ms)).join(' / '),
      ]);
    }
  } finally {
    worker.shutdown();
    await running;
    await stack.close();
  }
  console.log(`${RUNS} runs waiting for a signed approval of charge_card; the junk: approval signals and decide updates from "mallory"`);
  const header = [
    'phase',
    'junk signals/updates',
    'junk refused',
    'history KB per run',
    'events per run',
    'continued as new',
    'worker CPU s',
    'approval took (ms)',
  ];
  printColumns(header, rows);
}

if (process.argv[2] === '--sender') {
  const [address, namespace, ...ids] = process.argv.slice(3);
  sender(address, namespace, ids).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  runMain(main);
}
