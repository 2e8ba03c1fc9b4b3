/**
 * `npx tsx bench/flood.ts [senders] [seconds] [kilobytes]`: strangers flood runs that wait for a signed approval with
 * junk `approval` signals and `decide` updates (defaults: 3 senders, 20 s, 1,500 KB each, under the server's 2 MB
 * payload limit), while a worker serves the runs. Prints the junk sent, what it did to the runs' history (bytes, events,
 * continue-as-new), the worker's CPU time, and how long a real signed approval took to get through, quiet and under
 * the flood. The senders run in a process of their own, so the CPU figure is the worker's (and this process's client).
 * A scratch dev server of its own.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { SagentClient } from '../src/client';
import { demoAgents } from '../src/demo/agents/implementations';
import { startServices } from '../src/demo/services/server';
import { DEMO_WORKFLOWS_PATH } from '../src/demo/worker';
import { startModelServer } from '../src/dev/model-server';
import type { RespondingScenario } from '../src/dev/scenario';
import { newKeyPair } from '../src/policies/signature';
import { approvalSignal, decideUpdate, getStateQuery } from '../src/shared/contracts';
import { createSagentWorker, sagentPreloadModules } from '../src/worker';
import { scratchRoot, startScratchDevServer } from './dev-server';

const [SENDERS, SECONDS, KILOBYTES] = (process.env.SAGENT_FLOOD ?? `${process.argv[2] ?? 3},${process.argv[3] ?? 20},${process.argv[4] ?? 1_500}`)
  .split(',')
  .map(Number);
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
  const client = new Client({ connection: await Connection.connect({ address }), namespace });
  const deadline = Date.now() + SECONDS * 1000;
  process.stdout.write('ready\n');
  const junk = { callId: 'call-1', argsHash: 'f'.repeat(64), decision: 'approve' as const, approver: 'mallory', reason: 'x'.repeat(KILOBYTES * 1024) };
  const sent = { signals: 0, updates: 0, refused: 0 };
  for (let n = 0; Date.now() < deadline; n += 1) {
    const handle = client.workflow.getHandle(ids[n % ids.length]);
    try {
      if (n % 2 === 0) {
        await handle.signal(approvalSignal, junk);
        sent.signals += 1;
      } else {
        sent.updates += 1;
        await handle.executeUpdate(decideUpdate, { args: [junk] });
      }
    } catch {
      sent.refused += 1;
    }
  }
  process.stdout.write(JSON.stringify(sent));
  await client.connection.close();
}

type Sent = { signals: number; updates: number; refused: number };

/** Starts `SENDERS` sender processes; `ready` once they all send, `done` with what they sent once they stop. */
function flood(address: string, namespace: string, ids: string[]): { ready: Promise<unknown>; done: Promise<Sent> } {
  const children = Array.from({ length: SENDERS }, () => {
    const env = { ...process.env, SAGENT_FLOOD: `${SENDERS},${SECONDS},${KILOBYTES}` };
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
    done: Promise.all(children.map((child) => child.done)).then((all) =>
      all.reduce((sum, one) => ({ signals: sum.signals + one.signals, updates: sum.updates + one.updates, refused: sum.refused + one.refused })),
    ),
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

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = await fs.mkdtemp(path.join(await scratchRoot(), 'sagent-bench-flood-'));
  const devServer = await startScratchDevServer(dir);
  const model = await startModelServer({ scenarios: [scenario] });
  const services = await startServices({ port: 0, dataDir: 'memory://' });
  const connection = await NativeConnection.connect({ address: devServer.address });
  const client = new Client({ connection, namespace: devServer.namespace });
  const taskQueue = `bench-flood-${randomUUID().slice(0, 8)}`;
  const sagent = new SagentClient({ client, taskQueue });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: DEMO_WORKFLOWS_PATH,
    preloadModules: sagentPreloadModules(DEMO_WORKFLOWS_PATH),
    logger: new DefaultLogger('ERROR'),
  });
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
      for (const handle of handles) {
        while ((await handle.query(getStateQuery)).status !== 'awaiting_approval') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const strangers = flooded ? flood(devServer.address, devServer.namespace, ids) : undefined;
      await strangers?.ready;
      const cpuBefore = process.cpuUsage();
      // The quiet phase lasts as long, so the CPU figures compare.
      const quiet = new Promise<Sent>((resolve) => setTimeout(() => resolve({ signals: 0, updates: 0, refused: 0 }), SECONDS * 1000));
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
      await Promise.all(handles.map((handle) => handle.result()));
      const cpu = process.cpuUsage(cpuBefore);
      const history = await historyOf(client, ids);
      rows.push([
        flooded ? `flood (${SENDERS} senders, ${SECONDS} s, ${KILOBYTES} KB each)` : 'quiet',
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
    await connection.close();
    await services.close();
    await model.close();
    await devServer.stop();
    await fs.rm(dir, { recursive: true, force: true });
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
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
}

if (process.argv[2] === '--sender') {
  const [address, namespace, ...ids] = process.argv.slice(3);
  sender(address, namespace, ids).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
