/**
 * sagent's Prometheus metrics, per model and per tool, from the worker: calls, errors by type, latency, tokens, cost,
 * retries, fallbacks, runs paused for their model, and the breakers' state. Measured by an activity inbound
 * interceptor (the activities carry no metrics code) and, for what only the workflow knows (a run pausing), by a sink.
 * `serveMetrics` serves them at `/metrics`; `npm run worker` does so on SAGENT_METRICS_PORT.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, InjectedSinks, Next } from '@temporalio/worker';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallModelInput, CompensateInput, RunToolInput, SagentMetricsSinks } from '../shared/activity-io';
import type { ModelTurn } from '../shared/wire';

/**
 * A breaker as the breaker module reports it (`breakerSnapshot()`): `forced_open` / `forced_closed` while an operator's
 * override holds it (`sagent breaker open|close`); `isolated` is cockatiel's word for forced open.
 */
export interface BreakerSnapshot {
  name: string;
  state: 'closed' | 'open' | 'half_open' | 'isolated' | 'forced_open' | 'forced_closed';
}

const BREAKER_STATES: readonly BreakerSnapshot['state'][] = ['closed', 'open', 'half_open', 'isolated', 'forced_open', 'forced_closed'];

/** One worker's metrics, in a registry of their own (so a process can hold several, as tests do). */
export class SagentMetrics {
  readonly registry = new Registry();
  readonly modelCalls = this.counter('sagent_model_calls_total', 'Model call attempts that ended, by model and outcome (ok or error).', ['model', 'outcome']);
  readonly modelErrors = this.counter(
    'sagent_model_errors_total',
    'Failed model call attempts, by model and failure type (ModelInvocationError.Overloaded, ...).',
    ['model', 'type'],
  );
  readonly modelLatency = new Histogram({
    name: 'sagent_model_call_seconds',
    help: 'Duration of one model call attempt, by model.',
    labelNames: ['model'],
    buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    registers: [this.registry],
  });
  readonly modelTokens = this.counter('sagent_model_tokens_total', 'Tokens by model and kind (input, output, cache_read, cache_write).', ['model', 'kind']);
  readonly modelCost = this.counter('sagent_model_cost_usd_total', 'Cost in USD by model, from the pricing table.', ['model']);
  readonly modelRetries = this.counter('sagent_model_retries_total', 'Model call attempts after the first of their call, by model.', ['model']);
  readonly modelFallbacks = this.counter('sagent_model_fallbacks_total', 'Calls sent to a fallback model after the one before it was overloaded, by model.', [
    'from',
    'to',
  ]);
  readonly runsPaused = this.counter('sagent_runs_paused_total', 'Runs that paused in model_unavailable, by why (unavailable, fixable).', ['kind']);
  readonly toolCalls = this.counter('sagent_tool_calls_total', 'Tool call and undo attempts that ended, by tool, operation (call, compensate) and outcome.', [
    'tool',
    'operation',
    'outcome',
  ]);
  readonly toolErrors = this.counter('sagent_tool_errors_total', 'Failed tool call and undo attempts, by tool, operation and failure type.', [
    'tool',
    'operation',
    'type',
  ]);
  readonly toolLatency = new Histogram({
    name: 'sagent_tool_call_seconds',
    help: 'Duration of one tool call or undo attempt, by tool and operation.',
    labelNames: ['tool', 'operation'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly toolRetries = this.counter('sagent_tool_retries_total', 'Tool call and undo attempts after the first, by tool and operation.', [
    'tool',
    'operation',
  ]);
  private breakerSnapshots: Array<() => BreakerSnapshot[]> = [];

  constructor() {
    const snapshots = () => this.breakerSnapshots.flatMap((snapshot) => snapshot());
    new Gauge({
      name: 'sagent_breaker_state',
      help: 'Circuit breakers of this worker: 1 for the state each breaker is in, 0 for the others.',
      labelNames: ['name', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const breaker of snapshots()) {
          for (const state of BREAKER_STATES) this.set({ name: breaker.name, state }, breaker.state === state ? 1 : 0);
        }
      },
    });
  }

  /**
   * Reports breakers on every scrape; `snapshot` is called then, and must be cheap. `SagentPlugin` registers its
   * worker's breakers itself; `registerBreakerGauge(breakerSnapshot)` reports every breaker of the process.
   */
  registerBreakerGauge(snapshot: () => BreakerSnapshot[]): void {
    this.breakerSnapshots.push(snapshot);
  }

  /** The text a Prometheus scrape reads. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** The activity interceptor that measures model and tool calls; `SagentPlugin` installs it. */
  activityInterceptor(ctx: Context): ActivityInboundCallsInterceptor {
    return new MetricsActivityInterceptor(ctx, this);
  }

  /** The sink through which the workflow reports what only it knows (a run pausing for its model). */
  sinks(): InjectedSinks<SagentMetricsSinks> {
    return {
      sagentMetrics: {
        runPaused: { fn: (_info, kind: string) => this.runsPaused.inc({ kind }) },
        fallback: { fn: (_info, from: string, to: string) => this.modelFallbacks.inc({ from, to }) },
      },
    };
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

class MetricsActivityInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly metrics: SagentMetrics,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const type = this.ctx.info.activityType;
    const isModel = type === 'callModel';
    const isTool = type === 'runTool' || type === 'compensate';
    if (!isModel && !isTool) return next(input);
    const m = this.metrics;
    const arg = input.args[0] as CallModelInput & RunToolInput & CompensateInput;
    const operation = type === 'runTool' ? 'call' : 'compensate';
    const retry = this.ctx.info.attempt > 1;
    if (retry && isModel) m.modelRetries.inc({ model: arg.model });
    if (retry && isTool) m.toolRetries.inc({ tool: arg.tool, operation });
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await next(input);
      if (isModel) {
        const turn = result as ModelTurn;
        m.modelCalls.inc({ model: arg.model, outcome: 'ok' });
        m.modelLatency.observe({ model: arg.model }, seconds());
        m.modelTokens.inc({ model: arg.model, kind: 'input' }, turn.usage.input_tokens);
        m.modelTokens.inc({ model: arg.model, kind: 'output' }, turn.usage.output_tokens);
        m.modelTokens.inc({ model: arg.model, kind: 'cache_read' }, turn.usage.cache_read_input_tokens);
        m.modelTokens.inc({ model: arg.model, kind: 'cache_write' }, turn.usage.cache_creation_input_tokens);
        m.modelCost.inc({ model: arg.model }, turn.cost_usd);
      } else {
        m.toolCalls.inc({ tool: arg.tool, operation, outcome: 'ok' });
        m.toolLatency.observe({ tool: arg.tool, operation }, seconds());
      }
      return result;
    } catch (err) {
      const failure = (err as { type?: unknown } | null)?.type;
      const errorType = typeof failure === 'string' ? failure : ((err as Error | null)?.name ?? 'Error');
      if (isModel) {
        m.modelCalls.inc({ model: arg.model, outcome: 'error' });
        m.modelErrors.inc({ model: arg.model, type: errorType });
        m.modelLatency.observe({ model: arg.model }, seconds());
      } else {
        m.toolCalls.inc({ tool: arg.tool, operation, outcome: 'error' });
        m.toolErrors.inc({ tool: arg.tool, operation, type: errorType });
        m.toolLatency.observe({ tool: arg.tool, operation }, seconds());
      }
      throw err;
    }
  }
}

/** Serves `metrics` at `GET /metrics` on `port` (0: a free one); resolves once it listens. */
export async function serveMetrics(metrics: SagentMetrics, port: number, host = '0.0.0.0'): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/metrics`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
