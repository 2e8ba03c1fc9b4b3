/**
 * The one HTTP call the agents' tool implementations make to the services, and the one place its
 * outcomes become `ToolError`s: what the other side refused (`rejected`, final, shown to Claude with a
 * hint) apart from what is worth another attempt (`transient`, retried by Temporal).
 */
import { type CompensationContext, type CompensationResult, type EffectCheck, type ToolContext, ToolError } from '../../index';

export interface ServiceRequest {
  method: 'GET' | 'POST';
  /** Path under the services URL, e.g. `/flights/bookings`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Required by every POST; the tool context's `idempotencyKey`. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface ServiceClientOptions {
  /** Base URL of the services, e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
  /** What Claude should do about a refusal, by the service's error code; added to the defaults. */
  hints?: Readonly<Record<string, string>>;
}

export interface ServiceClient {
  /** Sends the request and returns the JSON body of a 2xx; throws `ToolError` otherwise. */
  call<T = unknown>(request: ServiceRequest): Promise<T>;
  /** Undoes the forward step through `POST /effects/undo`, keyed by the forward step's key. */
  undo(ctx: CompensationContext): Promise<CompensationResult>;
  /** Whether the services hold an effect under `ctx.idempotencyKey` (their effects ledger); absent is `unknown`, since a request may still run. */
  check(ctx: ToolContext): Promise<EffectCheck>;
}

/** Hints for refusals any service can give. */
export const DEFAULT_HINTS: Readonly<Record<string, string>> = {
  parameter_invalid: 'Correct the parameter named in the message and call the tool again.',
  parameter_missing: 'Add the missing parameter and call the tool again.',
  idempotency_key_reuse: 'This is a fault in the agent runtime, not in your arguments; do not retry this call.',
  idempotency_key_voided: 'This step was already undone; do not retry it.',
  not_compensable: 'This effect cannot be undone.',
};

const FALLBACK_HINT = 'The service refused the request: change the arguments or choose another option; the same call will fail again.';

/** 409s that are final: the others (a key held by a running request) clear up on their own. */
const FINAL_CONFLICTS: ReadonlySet<string> = new Set(['not_compensable']);

interface ServiceErrorBody {
  error?: { type?: string; code?: string; message?: string; param?: string };
}

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const baseUrl = options.servicesUrl.replace(/\/+$/, '');
  const hints = { ...DEFAULT_HINTS, ...options.hints };

  async function call<T>(request: ServiceRequest): Promise<T> {
    const url = new URL(baseUrl + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    const what = `${request.method} ${request.path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(request.idempotencyKey ? { 'Idempotency-Key': request.idempotencyKey } : {}),
        },
        body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
        signal: request.signal,
      });
    } catch (err) {
      if (request.signal?.aborted) throw new ToolError('transient', 'aborted', `${what} was cancelled before it finished`);
      throw new ToolError('transient', 'network_error', `${what} failed without a response: ${describeNetworkError(err)}`);
    }

    const text = await response.text().catch(() => '');
    const body = parseJson(text);
    if (response.ok) {
      if (body === undefined) throw new ToolError('transient', 'invalid_response', `${what} answered ${response.status} without a JSON body`);
      return body as T;
    }

    const error = (body as ServiceErrorBody | undefined)?.error ?? {};
    const code = error.code ?? error.type ?? `http_${response.status}`;
    const message = error.message ?? `${what} answered ${response.status} ${response.statusText}`;
    if (isTransient(response.status, code)) {
      throw new ToolError('transient', code, message, undefined, retryAfterMs(response.headers.get('retry-after')));
    }
    throw new ToolError('rejected', code, message, hints[code] ?? FALLBACK_HINT);
  }

  async function undo(ctx: CompensationContext): Promise<CompensationResult> {
    const { result } = await call<{ result?: string }>({
      method: 'POST',
      path: '/effects/undo',
      body: { key: ctx.forwardKey },
      idempotencyKey: ctx.idempotencyKey,
      signal: ctx.signal,
    });
    if (result !== 'compensated' && result !== 'not_needed') {
      throw new ToolError('transient', 'invalid_response', `POST /effects/undo answered an unknown result: ${String(result)}`);
    }
    return result;
  }

  async function check(ctx: ToolContext): Promise<EffectCheck> {
    const { effects } = await call<{ effects?: Array<{ key: string }> }>({
      method: 'GET',
      path: '/ledger',
      query: { prefix: ctx.idempotencyKey },
      signal: ctx.signal,
    });
    return effects?.some((effect) => effect.key === ctx.idempotencyKey) ? 'committed' : 'unknown';
  }

  return { call, undo, check };
}

/** 408, 429, 5xx and a key still held by a running request are worth another attempt; other 4xx are not. */
function isTransient(status: number, code: string): boolean {
  if (status === 409) return !FINAL_CONFLICTS.has(code);
  return status === 408 || status === 429 || status >= 500;
}

/** `retry-after` in seconds or as an HTTP date, in milliseconds. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** fetch hides the socket's reason in `cause` ("other side closed", ECONNREFUSED). */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
