/**
 * The worker's Prometheus metrics after real runs on the dev server: every metric a panel of the Grafana dashboard in
 * deploy/ queries is in the worker's /metrics, with samples, per model and per tool. The runs go through an outage
 * on the first model (retries, errors, a fallback), a paused run, and a tool call answered 503 once (a tool error
 * and a retry). The breaker gauge reports the worker's own breakers (the travel agent's `weather`), an operator's
 * override included.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SagentClient } from '../../src/client';
import { SagentMetrics, serveMetrics } from '../../src/observability/metrics';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';
import { addFault } from '../helpers/services';

const DASHBOARD = path.join(__dirname, '..', '..', 'deploy', 'grafana', 'sagent-dashboard.json');
const QUICK = { fallbackAfter: 2, attemptsPerModel: 2, retryInitialMs: 1000, retryMaxMs: 1000 };

let harness: Harness;
const metrics = new SagentMetrics();
let served: Awaited<ReturnType<typeof serveMetrics>>;

beforeAll(async () => {
  served = await serveMetrics(metrics, 0, '127.0.0.1');
  harness = await startHarness(
    'metrics',
    [
      {
        name: 'metrics',
        match: { runIdPrefix: 'met-' },
        respond: (ctx) =>
          ctx.turn === 1
            ? { content: [{ type: 'tool_use', name: 'book_flight', input: { flightId: 'TP-1234', passenger: 'Ada Lovelace' } }] }
            : { content: [{ type: 'text', text: 'Booked.' }] },
      },
    ],
    { metrics },
  );
}, 300_000);
afterAll(async () => {
  await harness?.stop();
  await served?.close();
});

/** The metric names a panel's queries read (`_bucket` series of histograms included). */
function dashboardMetrics(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
  const names = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\bsagent_[a-z_]+\b/g) ?? []));
  return [...new Set(names)];
}

test('every metric the dashboard queries is served with samples after runs through an outage, a pause and a tool error', async () => {
  // A fallback run: the first model answers 529 to everything, and the flight booking fails once with a 503.
  const fallbackId = `met-fallback-${randomUUID().slice(0, 8)}`;
  await addFault(harness.services.url, { path: '/flights/bookings', keyPrefix: `${fallbackId}/effect-1`, mode: 'error5xx', status: 503, times: 1 });
  harness.model.setOutage({ models: ['claude-sonnet-4-6'] });
  const fallback = await outcomeOf(
    await harness.start(fallbackId, { agent: 'travel', task: 'Book flight TP-1234', fallbackModels: ['claude-haiku-4-5'], modelOutage: QUICK }),
  );
  expect(fallback.status).toBe('completed');

  // A paused run: every model down until the run shows model_unavailable.
  harness.model.setOutage({});
  const pausedHandle = await harness.start(`met-paused-${randomUUID().slice(0, 8)}`, { agent: 'travel', task: 'Book flight TP-1234', modelOutage: QUICK });
  await harness.waitFor(pausedHandle, (state) => state.status === 'model_unavailable');
  harness.model.setOutage(null);
  expect((await outcomeOf(pausedHandle)).status).toBe('completed');

  const response = await fetch(served.url);
  expect(response.status).toBe(200);
  const text = await response.text();
  const sampled = new Set(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(/[{\s]/)[0]),
  );
  const wanted = dashboardMetrics();
  expect(wanted.length).toBeGreaterThanOrEqual(12);
  expect(wanted.filter((name) => !sampled.has(name))).toEqual([]);

  expect(text).toMatch(/sagent_model_errors_total\{model="claude-sonnet-4-6",type="ModelInvocationError.Overloaded"\} [1-9]/);
  expect(text).toMatch(/sagent_model_fallbacks_total\{from="claude-sonnet-4-6",to="claude-haiku-4-5"\} [1-9]/);
  expect(text).toMatch(/sagent_runs_paused_total\{kind="unavailable"\} 1\b/);
  expect(text).toMatch(/sagent_tool_errors_total\{tool="book_flight",operation="call",type="[^"]+"\} 1\b/);
  expect(text).toMatch(/sagent_tool_retries_total\{tool="book_flight",operation="call"\} 1\b/);
  expect(text).toMatch(/sagent_model_tokens_total\{model="claude-haiku-4-5",kind="output"\} [1-9]/);
  expect(text).toMatch(/sagent_breaker_state\{name="weather",state="closed"\} 1/);
});

test("an operator forcing a breaker open shows in the worker's breaker gauge, and clearing it closes it again", async () => {
  const sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
  const scrapeUntil = async (pattern: RegExp): Promise<string> => {
    let text = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
      text = await (await fetch(served.url)).text();
      if (pattern.test(text)) return text;
    }
    return text;
  };
  await sagent.overrideBreaker('weather', 'open', { by: 'ops', reason: 'the weather service is being migrated' });
  const forced = await scrapeUntil(/sagent_breaker_state\{name="weather",state="forced_open"\} 1/);
  expect(forced).toMatch(/sagent_breaker_state\{name="weather",state="forced_open"\} 1/);
  expect(forced).toMatch(/sagent_breaker_state\{name="weather",state="closed"\} 0/);
  await sagent.overrideBreaker('weather', 'clear', { by: 'ops', reason: 'migrated' });
  expect(await scrapeUntil(/sagent_breaker_state\{name="weather",state="closed"\} 1/)).toMatch(/sagent_breaker_state\{name="weather",state="forced_open"\} 0/);
});

test('the metrics endpoint answers 404 for anything but GET /metrics', async () => {
  const response = await fetch(served.url.replace('/metrics', '/other'));
  expect(response.status).toBe(404);
});
