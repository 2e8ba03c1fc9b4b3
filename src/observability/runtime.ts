/**
 * The Temporal runtime of a worker process: its logger (JSON lines when `SAGENT_LOG_FORMAT=json`) and its Prometheus
 * metrics (when `SAGENT_METRICS_PORT` or `TEMPORAL_PROMETHEUS_BIND` asks). The runtime can be installed once per
 * process, before the first connection or worker.
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { NON_DETERMINISM_FIX } from '../shared/constants';

const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface RuntimeSettings {
  /** `json`: one JSON object per line on stderr; `text`: Temporal's default format. */
  logFormat: 'json' | 'text';
  logLevel: LogLevel;
  /** `host:port` of the Prometheus endpoint (`/metrics`), or null for no metrics. */
  metricsBindAddress: string | null;
}

export class ObservabilityConfigError extends Error {
  override name = 'ObservabilityConfigError' as const;
}

/**
 * Reads SAGENT_LOG_FORMAT (`json` | `text`, default `text`), SAGENT_LOG_LEVEL (default `INFO`), and
 * and TEMPORAL_PROMETHEUS_BIND (`host:port`) for the Temporal runtime's own metrics. SAGENT_METRICS_PORT serves
 * sagent's metrics (see `metricsPort`), on a port of their own.
 */
export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const format = (env.SAGENT_LOG_FORMAT ?? 'text').trim().toLowerCase();
  if (format !== 'json' && format !== 'text') {
    throw new ObservabilityConfigError(`SAGENT_LOG_FORMAT=${env.SAGENT_LOG_FORMAT} is not a log format: use json or text`);
  }
  const level = (env.SAGENT_LOG_LEVEL ?? 'INFO').trim().toUpperCase() as LogLevel;
  if (!LOG_LEVELS.includes(level)) {
    throw new ObservabilityConfigError(`SAGENT_LOG_LEVEL=${env.SAGENT_LOG_LEVEL} is not a log level: use ${LOG_LEVELS.join(', ')}`);
  }
  return { logFormat: format, logLevel: level, metricsBindAddress: metricsBindAddress(env) };
}

function metricsBindAddress(env: NodeJS.ProcessEnv): string | null {
  const bind = env.TEMPORAL_PROMETHEUS_BIND?.trim();
  if (bind) {
    if (!/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(bind)) {
      throw new ObservabilityConfigError(`TEMPORAL_PROMETHEUS_BIND=${bind} is not host:port: use e.g. 0.0.0.0:9464`);
    }
    return bind;
  }
  return null;
}

/** SAGENT_METRICS_PORT: where `npm run worker` serves sagent's `/metrics` (every interface), or null. */
export function metricsPort(env: NodeJS.ProcessEnv = process.env): number | null {
  const port = env.SAGENT_METRICS_PORT?.trim();
  if (!port) return null;
  const number = Number(port);
  if (!Number.isInteger(number) || number < 1 || number > 65535) {
    throw new ObservabilityConfigError(`SAGENT_METRICS_PORT=${port} is not a port: use a number from 1 to 65535, e.g. 9464`);
  }
  return number;
}

/**
 * Installs the Temporal runtime with sagent's logger and metrics. Call it first thing in a worker process; a second
 * call, or a call after a connection exists, throws Temporal's IllegalStateError.
 */
export function installRuntime(env: NodeJS.ProcessEnv = process.env): Runtime {
  const settings = runtimeSettings(env);
  const json = settings.logFormat === 'json';
  return Runtime.install({
    logger: new FixHintLogger(settings.logLevel, json ? writeJsonLine : undefined),
    telemetryOptions: {
      // The core's own logs come through the same logger: in JSON mode every line parses, and a workflow task that
      // fails on non-determinism is followed by what to do about it.
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(settings.metricsBindAddress ? { metrics: { prometheus: { bindAddress: settings.metricsBindAddress } } } : {}),
    },
  });
}

/** One log entry as one JSON line: time, level, msg, then the entry's metadata (workflowId, activityType, trace_id...). */
export function formatJsonLine(entry: LogEntry): string {
  const record = {
    time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
    level: entry.level,
    msg: entry.message,
    ...entry.meta,
  };
  return JSON.stringify(record, jsonSafe);
}

function writeJsonLine(entry: LogEntry): void {
  process.stderr.write(`${formatJsonLine(entry)}\n`);
}

/** Errors keep their name, message, failure type and stack; bigints become strings. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const failure = value as Error & { type?: unknown; cause?: unknown };
    return { name: failure.name, message: failure.message, type: failure.type, stack: failure.stack, cause: failure.cause };
  }
  return value;
}

/** A logger that follows a non-determinism failure of a workflow task (TMPRL1100) with what a person does about it. */
export class FixHintLogger extends DefaultLogger {
  constructor(level: LogLevel, logFunction?: (entry: LogEntry) => void) {
    super(level, logFunction);
  }

  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    super.log(level, message, meta);
    if ((level === 'WARN' || level === 'ERROR') && isNonDeterminism(message, meta)) {
      super.log('ERROR', `sagent: a run cannot replay on this worker (non-determinism, TMPRL1100): ${NON_DETERMINISM_FIX}`, {
        runId: meta?.runId ?? meta?.run_id,
        workflowId: meta?.workflowId ?? meta?.workflow_id,
      });
    }
  }
}

function isNonDeterminism(message: string, meta: LogMetadata | undefined): boolean {
  const text = `${message} ${meta ? safeJson(meta) : ''}`;
  return /TMPRL1100|nondeterminis/i.test(text);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '';
  }
}
