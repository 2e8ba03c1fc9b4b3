/**
 * Observability as an operator meets it: `npm run worker` (src/demo/worker.ts) in its own process (the Temporal runtime
 * installs once per process), against the test server, the scripted model and the demo services.
 * - With OTEL_EXPORTER_OTLP_ENDPOINT, one trace follows a run from the client through the workflow to each activity,
 *   and the activity spans carry the model, tokens and cost, or the tool, its effect id and outcome.
 * - Without it nothing is exported and the history carries no trace headers; SAGENT_LOG_FORMAT=json makes every log
 *   line JSON, and TEMPORAL_PROMETHEUS_BIND serves Prometheus metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import { loadScenarioDir } from '../../src/dev/scenario';
import { clientInterceptors, formatJsonLine, metricsPort, runtimeSettings, shutdownTelemetry, tracesUrl } from '../../src/observability';
import { startServices } from '../../src/demo/services/server';
import { decideUpdate, getStateQuery, type RunOutcome, type RunState } from '../../src/shared/contracts';
import { testConnection, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { freePorts } from '../../src/dev/ports';

// Each case starts `npm run worker`, which bundles the workflows itself (~10 s of CPU; minutes on a loaded machine).
jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');

// ---------------------------------------------------------------------------------------------------------------
// A tiny OTLP/HTTP collector: records every span POSTed to /v1/traces (JSON encoding, as the exporter sends it).

interface ExportedSpan {
  service: string;
  name: string;
  traceId: string;
  attributes: Record<string, unknown>;
}

interface Collector {
  url: string;
  requests: number;
  spans: ExportedSpan[];
  close(): Promise<void>;
}

type OtlpValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
type OtlpAttribute = { key: string; value: OtlpValue };

function otlpValue(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(otlpValue);
  return undefined;
}

function otlpAttributes(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, otlpValue(value)]));
}

async function startCollector(): Promise<Collector> {
  const collector: Collector = { url: '', requests: 0, spans: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      collector.requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8'));
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = String(otlpAttributes(resourceSpans.resource?.attributes)['service.name']);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            collector.spans.push({ service, name: span.name, traceId: span.traceId, attributes: otlpAttributes(span.attributes) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  collector.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  collector.close = () => new Promise((resolve) => server.close(() => resolve()));
  return collector;
}

// ---------------------------------------------------------------------------------------------------------------
// `npm run worker` as a child process.

interface WorkerProcess {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  stop(): Promise<number | null>;
}

async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'src/demo/worker.ts')], { cwd: ROOT, env });
  const worker: WorkerProcess = { child, stdout: '', stderr: '', stop: async () => null };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (chunk) => (worker.stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not start within 150 s:\n${worker.stdout}${worker.stderr}`)), 150_000);
    child.stdout!.on('data', (chunk) => {
      worker.stdout += chunk;
      if (worker.stdout.includes('sagent worker on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with ${code} while starting:\n${worker.stdout}${worker.stderr}`));
    });
  });
  worker.stop = async () => {
    child.kill('SIGTERM');
    // A graceful stop is what is checked, not its speed: a loaded machine gets a minute before the kill.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return worker;
}

/** The environment of a worker on its own task queue, with every observability variable cleared, plus `extra`. */
function workerEnv(taskQueue: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OTEL_|SAGENT_LOG_|SAGENT_METRICS_|TEMPORAL_PROMETHEUS_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    SAGENT_TASK_QUEUE: taskQueue,
    ANTHROPIC_API_KEY: 'test',
    ANTHROPIC_BASE_URL: model.url,
    SAGENT_SERVICES_URL: services.url,
    NO_COLOR: '1',
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The unlucky trip: three bookings, an approved charge that is declined, three undos.

/** Who starts the runs: the worker's log lines and spans of their activities name them. */
const IDENTITY = { principal: 'alice', tenant: 'acme' };

async function runUnluckyTrip(client: Client, taskQueue: string, workflowId: string): Promise<{ handle: WorkflowHandle; outcome: RunOutcome }> {
  const handle = await client.workflow.start('agentSaga', {
    taskQueue,
    workflowId,
    args: [{ agent: 'travel', task: 'Plan my trip to Porto', approval: { approvers: ['ana'] }, identity: IDENTITY }],
  });
  const deadline = Date.now() + 30_000;
  let state: RunState | undefined;
  while (state?.status !== 'awaiting_approval') {
    if (Date.now() > deadline) throw new Error(`the run never paused for approval (last status ${state?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    state = await handle.query(getStateQuery).catch(() => undefined);
  }
  const charge = state.pendingApprovals[0];
  await handle.executeUpdate(decideUpdate, { args: [{ callId: charge.callId, argsHash: charge.argsHash, decision: 'approve', approver: 'ana' }] });
  return { handle, outcome: (await handle.result()) as RunOutcome };
}

/** How many ActivityTaskScheduled events of the run carry a trace context header, out of how many. */
async function tracedActivities(handle: WorkflowHandle): Promise<{ traced: number; scheduled: number }> {
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes);
  const traced = scheduled.filter((event) => event.activityTaskScheduledEventAttributes?.header?.fields?.['_tracer-data']);
  return { traced: traced.length, scheduled: scheduled.length };
}

async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

let temporal: TestTemporal;
let model: ModelServer;
let services: { url: string; close(): Promise<void> };
let collector: Collector;

beforeAll(async () => {
  temporal = await testConnection();
  [model, services, collector] = await Promise.all([
    startModelServer({ scenarios: loadScenarioDir(path.join(ROOT, 'src/demo/scenarios')) }),
    startServices({ port: 0, dataDir: 'memory://' }),
    startCollector(),
  ]);
});

afterAll(async () => {
  await shutdownTelemetry();
  await Promise.all([model?.close(), services?.close(), collector?.close()]);
  await temporal?.close();
});

describe('settings', () => {
  test('tracing is on only when an OTLP endpoint is named, and honours the standard off switches', () => {
    expect(tracesUrl({})).toBeNull();
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe('http://c:4318/custom');
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  test('logs and metrics settings come from the environment, and a wrong value says what to use', () => {
    expect(runtimeSettings({})).toEqual({ logFormat: 'text', logLevel: 'INFO', metricsBindAddress: null });
    // SAGENT_METRICS_PORT is sagent's own /metrics; the Temporal runtime's metrics bind where TEMPORAL_PROMETHEUS_BIND says.
    expect(runtimeSettings({ SAGENT_LOG_FORMAT: 'JSON', SAGENT_LOG_LEVEL: 'warn', SAGENT_METRICS_PORT: '9464' })).toEqual({
      logFormat: 'json',
      logLevel: 'WARN',
      metricsBindAddress: null,
    });
    expect(runtimeSettings({ SAGENT_METRICS_PORT: '9464', TEMPORAL_PROMETHEUS_BIND: '127.0.0.1:9000' }).metricsBindAddress).toBe('127.0.0.1:9000');
    expect(metricsPort({ SAGENT_METRICS_PORT: '9464' })).toBe(9464);
    expect(metricsPort({})).toBeNull();
    expect(() => metricsPort({ SAGENT_METRICS_PORT: 'ninety' })).toThrow(/SAGENT_METRICS_PORT=ninety is not a port: use a number/);
    expect(() => runtimeSettings({ SAGENT_LOG_FORMAT: 'xml' })).toThrow(/use json or text/);
    expect(() => runtimeSettings({ TEMPORAL_PROMETHEUS_BIND: '9464' })).toThrow(/is not host:port/);
  });

  test('a JSON log line keeps the metadata and the failure of an error', () => {
    const error = Object.assign(new Error('Your card was declined.'), { type: 'ToolFailure.Rejected' });
    const line = formatJsonLine({
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: 1_700_000_000_123_000_000n,
      meta: { activityType: 'runTool', attempt: 1, error },
    });
    expect(JSON.parse(line)).toMatchObject({
      time: '2023-11-14T22:13:20.123Z',
      level: 'WARN',
      msg: 'Activity failed',
      activityType: 'runTool',
      error: { name: 'Error', message: 'Your card was declined.', type: 'ToolFailure.Rejected' },
    });
  });
});

test('with no OTLP endpoint nothing is exported; JSON logs and Prometheus metrics are served when asked', async () => {
  const taskQueue = uniqueTaskQueue('otel-off');
  const metricsPort = await freePort();
  const worker = await startWorkerProcess(workerEnv(taskQueue, { SAGENT_LOG_FORMAT: 'json', TEMPORAL_PROMETHEUS_BIND: `127.0.0.1:${metricsPort}` }));
  try {
    const { handle, outcome } = await runUnluckyTrip(temporal.client, taskQueue, `unlucky-otel-off-${Date.now()}`);
    expect(outcome.status).toBe('compensated');
    expect(await tracedActivities(handle)).toEqual({ traced: 0, scheduled: expect.any(Number) });

    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^# TYPE temporal_\w+ (counter|gauge|histogram)$/m);
    expect(text).toMatch(new RegExp(`^temporal_activity_execution_latency\\w*\\{[^}]*task_queue="${taskQueue}"`, 'm'));
  } finally {
    expect(await worker.stop()).toBe(0);
  }
  // The declined charge is logged as a warning: one JSON object per line, with the activity's context and the run's identity.
  const lines = worker.stderr.split('\n').filter((line) => line.trim() !== '');
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records).toContainEqual(
    expect.objectContaining({
      level: 'WARN',
      msg: 'Activity failed',
      activityType: 'runTool',
      taskQueue,
      principal: 'alice',
      tenant: 'acme',
      error: expect.objectContaining({ type: 'ToolFailure.Rejected' }),
    }),
  );
  const activityLines = records.filter((record) => ['callModel', 'runTool', 'compensate'].includes(record.activityType as string));
  expect(activityLines.length).toBeGreaterThan(0);
  expect(activityLines.every((record) => record.principal === 'alice' && record.tenant === 'acme')).toBe(true);
  expect(collector.requests).toBe(0);
});

test('with an OTLP endpoint one trace follows the run to its model call, tool calls and undos', async () => {
  const taskQueue = uniqueTaskQueue('otel-on');
  // Batches would wait a minute: every span that arrives was flushed when the worker shut down.
  const otelEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '60000' };
  const worker = await startWorkerProcess(workerEnv(taskQueue, otelEnv));
  let handle!: WorkflowHandle;
  try {
    const client = new Client({ connection: temporal.connection, namespace: temporal.namespace, interceptors: clientInterceptors(otelEnv) });
    const ran = await runUnluckyTrip(client, taskQueue, `unlucky-otel-on-${Date.now()}`);
    handle = ran.handle;
    expect(ran.outcome.status).toBe('compensated');
    const { traced, scheduled } = await tracedActivities(handle);
    expect(traced).toBe(scheduled);
  } finally {
    expect(await worker.stop()).toBe(0);
  }
  await shutdownTelemetry();

  const effect = (seq: number) => `${handle.workflowId}/effect-${seq}`;
  const start = collector.spans.find((span) => span.name === 'StartWorkflow:agentSaga' && span.service === 'sagent');
  expect(start).toBeDefined();
  const trip = collector.spans.filter((span) => span.traceId === start!.traceId);
  const names = new Set(trip.map((span) => span.name));
  for (const name of ['RunWorkflow:agentSaga', 'StartActivity:callModel', 'RunActivity:callModel', 'RunActivity:runTool', 'RunActivity:compensate']) {
    expect([...names]).toContain(name);
  }

  const modelCalls = trip.filter((span) => span.name === 'RunActivity:callModel');
  expect(modelCalls.map((span) => span.attributes['sagent.turn']).sort()).toEqual([1, 2, 3]);
  expect(modelCalls.find((span) => span.attributes['sagent.turn'] === 1)).toMatchObject({
    service: 'sagent-worker',
    attributes: expect.objectContaining({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      'gen_ai.usage.input_tokens': expect.any(Number),
      'gen_ai.usage.output_tokens': expect.any(Number),
      'sagent.cost_usd': expect.any(Number),
      temporalWorkflowId: handle.workflowId,
    }),
  });
  for (const { attributes } of modelCalls) {
    expect(attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(attributes['sagent.cost_usd']).toBeGreaterThan(0);
  }
  // The Anthropic SDK traces its own request under the activity's span once a tracer provider is registered.
  expect([...names]).toContain('anthropic.messages.create');

  const tool = (name: string, id: string) => trip.find((span) => span.name === name && span.attributes['sagent.effect_id'] === id)?.attributes;
  expect(tool('RunActivity:runTool', effect(2))).toMatchObject({ 'sagent.tool': 'book_hotel', 'sagent.tool.outcome': 'ok' });
  // Every model call, tool call and undo names who started the run, and for whom.
  const activities = trip.filter((span) => /^RunActivity:(callModel|runTool|compensate)$/.test(span.name));
  expect(activities.length).toBeGreaterThan(5);
  for (const { attributes } of activities) expect(attributes).toMatchObject({ 'enduser.id': 'alice', 'sagent.principal': 'alice', 'sagent.tenant': 'acme' });
  expect(tool('RunActivity:runTool', effect(4))).toMatchObject({
    'sagent.tool': 'charge_card',
    'sagent.tool.outcome': 'rejected',
    'error.type': 'ToolFailure.Rejected',
  });
  expect(tool('RunActivity:compensate', effect(3))).toMatchObject({ 'sagent.tool': 'rent_car', 'sagent.tool.outcome': 'compensated' });
});
