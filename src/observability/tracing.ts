/**
 * Traces over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a
 * collector, off otherwise. Off means off: no provider, no interceptors, no trace headers in histories.
 *
 * On, one trace follows a run from the client that starts it, through the workflow (its spans leave the sandbox
 * through the `exporter` sink, and only outside replay), to each activity, where sagent adds the model, tokens and
 * cost, or the tool, effect id and outcome (see attributes.ts).
 */
import type { Resource } from '@opentelemetry/resources';
import type { BasicTracerProvider, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { requirePeer, resolvePeer } from '../peers';

// OpenTelemetry and the Temporal interceptors are optional peers, loaded only when tracing is on: off costs nothing,
// not even their load time, and needs none of them installed.
const FEATURE = 'tracing (OTEL_EXPORTER_OTLP_ENDPOINT is set)';
const sdk = () => ({
  ...requirePeer<typeof import('@opentelemetry/api')>('@opentelemetry/api', FEATURE),
  ...requirePeer<typeof import('@opentelemetry/core')>('@opentelemetry/core', FEATURE),
  ...requirePeer<typeof import('@opentelemetry/exporter-trace-otlp-http')>('@opentelemetry/exporter-trace-otlp-http', FEATURE),
  ...requirePeer<typeof import('@opentelemetry/resources')>('@opentelemetry/resources', FEATURE),
  ...requirePeer<typeof import('@opentelemetry/sdk-trace-base')>('@opentelemetry/sdk-trace-base', FEATURE),
});
const temporalOtel = () => requirePeer<typeof import('@temporalio/interceptors-opentelemetry')>('@temporalio/interceptors-opentelemetry', FEATURE);

/** The workflow-side interceptors; they run in the sandbox, so they are bundled with the workflows. */
export function workflowInterceptorModules(): string[] {
  return [resolvePeer('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors', FEATURE)];
}

export interface Tracing {
  provider: BasicTracerProvider;
  processor: SpanProcessor;
  resource: Resource;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** `service.name`, unless OTEL_SERVICE_NAME says otherwise. @default 'sagent' */
  serviceName?: string;
}

/**
 * The OTLP/HTTP traces URL the environment names, or null when tracing is off: no endpoint, `OTEL_SDK_DISABLED=true`
 * or `OTEL_TRACES_EXPORTER=none`.
 */
export function tracesUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.trim() === 'none') return null;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : null;
}

let current: Tracing | undefined;

/**
 * Starts tracing for this process when the environment asks for it (once: later calls return the same), and flushes
 * it when the process runs out of work. Registers the provider, an AsyncLocalStorage context manager and the W3C
 * propagator globally, as OpenTelemetry instrumentations expect.
 */
export function startTracing(options: TracingOptions = {}): Tracing | null {
  if (current) return current;
  const env = options.env ?? process.env;
  const url = tracesUrl(env);
  // "Off" is not remembered: a later caller with an endpoint may still turn tracing on.
  if (url === null) return null;

  const { BasicTracerProvider, BatchSpanProcessor, envDetectorSync, OTLPTraceExporter, Resource, W3CTraceContextPropagator, context, propagation, trace } =
    sdk();
  const { AsyncLocalStorageContextManager } = require('./context-manager') as typeof import('./context-manager');
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || (options.serviceName ?? 'sagent') }))
    .merge(envDetectorSync.detect());
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });

  const tracing: Tracing = {
    provider,
    processor,
    resource,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      process.removeListener('beforeExit', flushOnExit);
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      current = undefined;
    },
  };
  // A worker that shuts down on SIGTERM ends by running out of work: export the last spans then.
  const flushOnExit = () => void tracing.shutdown().catch(() => undefined);
  process.once('beforeExit', flushOnExit);
  return (current = tracing);
}

/** Exports buffered spans and stops tracing, if it runs. */
export async function shutdownTelemetry(): Promise<void> {
  await current?.shutdown();
}

/**
 * Worker options that trace workflows and activities when tracing is on, and `{}` when it is off. Pass them as
 * `overrides` to `createSagentWorker`, or spread them into `Worker.create` options that bundle from `workflowsPath`.
 * A prebuilt `workflowBundle` must be built with `workflowInterceptorModules: workflowInterceptorModules()`.
 */
export function workerTelemetry(env: NodeJS.ProcessEnv = process.env): Partial<WorkerOptions> {
  const tracing = startTracing({ env, serviceName: 'sagent-worker' });
  if (tracing === null) return {};
  const { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryWorkflowClientInterceptor } =
    temporalOtel();
  const { SagentActivityInterceptor } = require('./activity-interceptor') as typeof import('./activity-interceptor');
  return {
    interceptors: {
      workflowModules: workflowInterceptorModules(),
      activity: [
        // Temporal's span first, so sagent's attributes land on it.
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
        (ctx) => ({ inbound: new SagentActivityInterceptor(ctx) }),
      ],
      // The client activities use (e.g. to read a turn's context from the workflow).
      client: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}

/** Client interceptors that start a run's trace (and carry it into signals, updates and queries), or `{}`. */
export function clientInterceptors(env: NodeJS.ProcessEnv = process.env): ClientInterceptors {
  const tracing = startTracing({ env, serviceName: 'sagent' });
  return tracing === null ? {} : { workflow: [new (temporalOtel().OpenTelemetryWorkflowClientInterceptor)()] };
}
