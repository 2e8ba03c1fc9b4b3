/**
 * `npx tsx bench/breakers.ts [runs]`: runs (default 50) started at once against a weather service that answers 503
 * to everything, on a worker without the circuit breaker and on one with it (the demo's declaration). Prints how
 * many requests reached the service, and what the runs' weather calls came to. A scratch dev server of its own.
 */
import { randomUUID } from 'node:crypto';
import { demoAgents } from '../src/demo/agents/implementations';
import type { RespondingScenario } from '../src/dev/scenario';
import { defineAgent } from '../src/tools/define';
import { createSagentWorker, type AgentImplementation } from '../src/worker';
import { startBenchStack } from './dev-server';
import { printColumns, runMain } from './entry';

const RUNS = Number(process.argv[2] ?? 50);

/** What Claude was shown for each run's weather call. */
const seen = new Map<string, string>();
const scenario: RespondingScenario = {
  name: 'bench-breakers',
  match: { runIdPrefix: 'bench-brk-' },
  respond(ctx) {
    if (ctx.turn === 1) return { content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } }] };
    const result = ctx.lastToolResults[0];
    seen.set(ctx.runId!, result?.is_error ? String((result.json as { error?: string } | undefined)?.error) : 'ok');
    return { content: [{ type: 'text', text: 'done' }] };
  },
};

/** The travel agent as the worker knows it, with or without its tools' breakers. */
function travelOnly(servicesUrl: string, breakers: boolean): AgentImplementation[] {
  const travel = demoAgents({ servicesUrl })[0];
  if (breakers) return [travel];
  const tools = travel.agent.tools.filter((tool) => tool.name !== 'abort').map((tool) => ({ ...tool, breaker: undefined }));
  return [{ agent: defineAgent({ ...travel.agent, tools }), tools: travel.tools }];
}

async function main(): Promise<void> {
  const stack = await startBenchStack('breakers', scenario);
  const { devServer, model, services, connection, client, workflowBundle } = stack;
  const rows: string[][] = [];
  try {
    for (const breakers of [false, true]) {
      const taskQueue = `bench-breakers-${randomUUID().slice(0, 8)}`;
      const worker = await createSagentWorker({
        connection,
        namespace: devServer.namespace,
        taskQueue,
        workflowBundle,
        agents: travelOnly(services.url, breakers),
        anthropic: new (await import('@anthropic-ai/sdk')).default({ apiKey: 'bench', baseURL: model.url, maxRetries: 0 }),
        breakerBoard: false,
      });
      const running = worker.run();
      const rule = await fetch(`${services.url}/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/weather', mode: 'error5xx', status: 503 }),
      });
      const faultId = ((await rule.json()) as { faults: Array<{ id: number }> }).faults[0].id;
      const startedAt = Date.now();
      const ids = Array.from({ length: RUNS }, () => `bench-brk-${randomUUID().slice(0, 8)}`);
      const handles = await Promise.all(
        ids.map((workflowId) => client.workflow.start('agentSaga', { workflowId, taskQueue, args: [{ agent: 'travel', task: 'Weather in Lisbon?' }] })),
      );
      await Promise.all(handles.map((handle) => handle.result()));
      const seconds = (Date.now() - startedAt) / 1000;
      const faults = (await (await fetch(`${services.url}/_faults`)).json()) as { faults: Array<{ id: number; fired: number }> };
      const reached = faults.faults.find((fault) => fault.id === faultId)?.fired ?? 0;
      await fetch(`${services.url}/_faults`, { method: 'DELETE' });
      const answers = ids.map((id) => seen.get(id) ?? 'none');
      const count = (what: string) => answers.filter((answer) => answer === what).length;
      rows.push([
        breakers ? 'with breaker' : 'without breaker',
        String(RUNS),
        String(reached),
        String(count('tool_failed')),
        String(count('service_unavailable')),
        seconds.toFixed(1),
      ]);
      worker.shutdown();
      await running;
    }
  } finally {
    await stack.close();
  }
  console.log(`${RUNS} runs at once, each calling get_weather once against a service that answers 503 to everything (tool: 5 attempts)`);
  const header = ['worker', 'runs', 'requests reaching the service', 'tool_failed', 'service_unavailable', 'seconds'];
  printColumns(header, rows);
}

runMain(main);
