/**
 * Observability of a sagent process: traces over OTLP/HTTP (when OTEL_EXPORTER_OTLP_ENDPOINT is set), structured logs
 * (SAGENT_LOG_FORMAT=json) and Prometheus metrics (SAGENT_METRICS_PORT / TEMPORAL_PROMETHEUS_BIND). Each is off unless
 * its variable is set.
 */
export { installRuntime, metricsPort, runtimeSettings, formatJsonLine, ObservabilityConfigError, type RuntimeSettings } from './runtime';
export { SagentMetrics, serveMetrics, type BreakerSnapshot } from './metrics';
export {
  clientInterceptors,
  shutdownTelemetry,
  startTracing,
  tracesUrl,
  workerTelemetry,
  workflowInterceptorModules,
  type Tracing,
  type TracingOptions,
} from './tracing';
