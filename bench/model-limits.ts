/**
 * `npx tsx bench/model-limits.ts [runs]`: rate limits on model calls across worker processes. Three model-call worker
 * processes poll one model queue; runs (default 30, three model calls each) start at once and send their calls there.
 * - requests: the queue limited to 60 calls in any minute: 56 a minute and the idle burst of 4, set as the workers'
 *   `requestsPerSecond` (`maxTaskQueueActivitiesPerSecond`), then as the queue's rate on the server;
 * - tokens: the queue limited to 75,000 tokens a minute (`tokensPerMinute`, each call 2,500 tokens), up to 5 calls a
 *   second.
 * The scripted model server records every request with its time and usage; the bench prints the busiest minute (the
 * most calls and tokens in any 60 s that start at a request) and the pace over the whole run. A scratch dev server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { demoAgents } from '../src/demo/agents/implementations';
import type { RespondingScenario } from '../src/dev/scenario';
import { createAnthropicClient } from '../src/models/anthropic';
import { queueRateSetter } from '../src/models/token-limit';
import { createSagentWorker } from '../src/worker';
import { startBenchStack } from './dev-server';
import { printColumns, runMain } from './entry';

const RUNS = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 30);
const TURNS = 3;
const USAGE = { input_tokens: 2000, output_tokens: 500 };
/** 56 a minute plus the 4 calls an idle queue's buckets let through at once: at most 60 in any minute. */
const HARD_CAP_RATE = 56 / 60;
const PHASES: Array<{ name: string; requestsPerSecond: number; tokensPerMinute?: number; queueRate?: number }> = [
  { name: 'requests: worker option 56/60 a second', requestsPerSecond: HARD_CAP_RATE },
  { name: 'requests: queue rate 56/60 a second on the server', requestsPerSecond: 5, queueRate: HARD_CAP_RATE },
  { name: 'tokens: 75,000 a minute', requestsPerSecond: 5, tokensPerMinute: 75_000 },
];
/** `--only <word>` runs the phases whose name holds it. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;

const scenario: RespondingScenario = {
  name: 'bench-model-limits',
  match: { runIdPrefix: 'bench-lim-' },
  respond: (ctx) =>
    ctx.turn < TURNS
      ? { content: [{ type: 'tool_use', name: 'search_flights', input: { from: 'LHR', to: 'LIS', date: `2026-07-0${ctx.turn}` } }], usage: USAGE }
      : { content: [{ type: 'text', text: 'Done.' }], usage: USAGE },
};

function spawnModelWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'model-worker-main.ts')], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`a model worker exited (${code}) before it was ready`)));
  });
  return { child, ready };
}

/** The most calls and tokens within any `windowMs` that starts at a call. */
function busiest(calls: Array<{ atMs: number; tokens: number }>, windowMs: number): { calls: number; tokens: number } {
  let best = { calls: 0, tokens: 0 };
  for (const start of calls) {
    const inside = calls.filter((call) => call.atMs >= start.atMs && call.atMs < start.atMs + windowMs);
    const tokens = inside.reduce((sum, call) => sum + call.tokens, 0);
    if (inside.length > best.calls || tokens > best.tokens) best = { calls: Math.max(best.calls, inside.length), tokens: Math.max(best.tokens, tokens) };
  }
  return best;
}

async function main(): Promise<void> {
  const stack = await startBenchStack('limits', scenario);
  const { devServer, model, services, connection, client, workflowBundle } = stack;
  const taskQueue = `bench-limits-${randomUUID().slice(0, 8)}`;
  const worker = await createSagentWorker({
    connection,
    namespace: devServer.namespace,
    taskQueue,
    workflowBundle,
    agents: demoAgents({ servicesUrl: services.url }).filter((entry) => entry.agent.name === 'travel'),
    anthropic: createAnthropicClient({ apiKey: 'bench', baseURL: model.url }),
    breakerBoard: false,
  });
  const running = worker.run();
  const rows: string[][] = [];
  try {
    for (const phase of PHASES.filter((p) => ONLY === null || p.name.includes(ONLY))) {
      const modelQueue = `bench-model-${randomUUID().slice(0, 8)}`;
      const env = {
        BENCH_TEMPORAL_ADDRESS: devServer.address,
        BENCH_TEMPORAL_NAMESPACE: devServer.namespace,
        BENCH_MODEL_QUEUE: modelQueue,
        BENCH_REQUESTS_PER_SECOND: String(phase.requestsPerSecond),
        BENCH_SERVICES_URL: services.url,
        BENCH_MODEL_URL: model.url,
        ...(phase.tokensPerMinute ? { BENCH_TOKENS_PER_MINUTE: String(phase.tokensPerMinute) } : {}),
      };
      const workers = [spawnModelWorker(env), spawnModelWorker(env), spawnModelWorker(env)];
      try {
        await Promise.all(workers.map((w) => w.ready));
        // The queue's own rate on the server, as `temporal task-queue config set --queue-rps-limit` sets it.
        if (phase.queueRate) await queueRateSetter(connection, devServer.namespace, modelQueue)(phase.queueRate, 'bench: 60 calls in any minute');
        const ids = Array.from({ length: RUNS }, () => `bench-lim-${randomUUID().slice(0, 8)}`);
        const startedAt = Date.now();
        const handles = await Promise.all(
          ids.map((workflowId) =>
            client.workflow.start('agentSaga', { workflowId, taskQueue, args: [{ agent: 'travel', task: 'Flights to Lisbon', modelTaskQueue: modelQueue }] }),
          ),
        );
        await Promise.all(handles.map((handle) => handle.result()));
        const seconds = (Date.now() - startedAt) / 1000;
        const calls = model.requests
          .filter((request) => request.path === '/v1/messages' && request.runId !== null && ids.includes(request.runId))
          .map((request) => ({
            atMs: Date.parse(request.receivedAt),
            tokens: (request.usage?.input_tokens ?? 0) + (request.usage?.cache_creation_input_tokens ?? 0) + (request.usage?.output_tokens ?? 0),
          }))
          .sort((a, b) => a.atMs - b.atMs);
        const minute = busiest(calls, 60_000);
        const spanMin = (calls[calls.length - 1].atMs - calls[0].atMs) / 60_000;
        rows.push([
          phase.name,
          '3',
          String(calls.length),
          String(minute.calls),
          String(minute.tokens),
          String(busiest(calls, 10_000).calls),
          (calls.length / spanMin).toFixed(1),
          seconds.toFixed(0),
        ]);
      } finally {
        for (const w of workers) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.once('exit', resolve)))));
      }
    }
  } finally {
    worker.shutdown();
    await running;
    await stack.close();
  }
  console.log(
    `${RUNS} runs at once, ${TURNS} model calls each (${USAGE.input_tokens + USAGE.output_tokens} tokens a call), on one model queue polled by three worker processes`,
  );
  const header = [
    'limit',
    'worker processes',
    'calls',
    'busiest minute: calls',
    'busiest minute: tokens',
    'busiest 10 s: calls',
    'calls a minute overall',
    'seconds',
  ];
  printColumns(header, rows);
}

runMain(main);
