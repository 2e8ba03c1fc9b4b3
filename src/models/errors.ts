/**
 * Provider errors are classified once, here, at the activity edge, into dotted failure types. Temporal is
 * the only retry layer: retryable failures carry `nextRetryDelay` from the server's `retry-after`.
 */
import { ApplicationFailure } from '@temporalio/common';

export const MODEL_FAILURE_TYPES = {
  RateLimit: 'ModelInvocationError.RateLimit',
  SpendLimit: 'ModelInvocationError.SpendLimit',
  Overloaded: 'ModelInvocationError.Overloaded',
  Server: 'ModelInvocationError.Server',
  Timeout: 'ModelInvocationError.Timeout',
  Conflict: 'ModelInvocationError.Conflict',
  Connection: 'ModelInvocationError.Connection',
  BadRequest: 'ModelInvocationError.BadRequest',
  Authentication: 'ModelInvocationError.Authentication',
  PermissionDenied: 'ModelInvocationError.PermissionDenied',
  NotFound: 'ModelInvocationError.NotFound',
  RequestTooLarge: 'ModelInvocationError.RequestTooLarge',
  Unprocessable: 'ModelInvocationError.Unprocessable',
  AnswerTooLarge: 'ModelInvocationError.AnswerTooLarge',
  ContextWindowExceeded: 'ModelInvocationError.ContextWindowExceeded',
  Unknown: 'ModelInvocationError.Unknown',
} as const;
export type ModelFailureType = (typeof MODEL_FAILURE_TYPES)[keyof typeof MODEL_FAILURE_TYPES];

interface HttpLikeError {
  status?: number;
  headers?: { get(name: string): string | null } | Record<string, string>;
  message?: string;
  error?: unknown;
  name?: string;
}

/** Turns whatever the SDK threw into an ApplicationFailure with a dotted type and the right retry hint. */
export function classifyModelError(err: unknown, nowMs = Date.now()): ApplicationFailure {
  const error = (err ?? {}) as HttpLikeError;
  const status = typeof error.status === 'number' ? error.status : undefined;
  const message = providerMessage(error);
  const retryDelayMs = retryAfterMs(error.headers, nowMs);
  const providerType = providerErrorType(error);
  const details = [{ status: status ?? null, message, retryAfterMs: retryDelayMs ?? null, providerType }];
  const retryable = (type: ModelFailureType) =>
    ApplicationFailure.create({
      type,
      message,
      nonRetryable: false,
      details,
      ...(retryDelayMs !== undefined ? { nextRetryDelay: retryDelayMs } : {}),
    });
  const final = (type: ModelFailureType) => ApplicationFailure.create({ type, message, nonRetryable: true, details });

  // The provider's own error type decides overload and rate limits, whatever the status (a proxy may remap it).
  if (providerType === 'overloaded_error') return retryable(MODEL_FAILURE_TYPES.Overloaded);
  if (providerType === 'rate_limit_error' && !/spend limit|credit balance|billing/i.test(message)) return retryable(MODEL_FAILURE_TYPES.RateLimit);
  if (status === undefined) {
    if (error.name === 'ModelAnswerTooLargeError') return final(MODEL_FAILURE_TYPES.AnswerTooLarge);
    if (error.name === 'ContextWindowExceededError') return final(MODEL_FAILURE_TYPES.ContextWindowExceeded);
    if (error.name === 'APIConnectionTimeoutError' || error.name === 'ModelStallError') return retryable(MODEL_FAILURE_TYPES.Timeout);
    if (error.name === 'APIConnectionError' || error.name === 'APIUserAbortError') return retryable(MODEL_FAILURE_TYPES.Connection);
    return retryable(MODEL_FAILURE_TYPES.Unknown);
  }
  if (status === 429) {
    return /spend limit|credit balance|billing/i.test(message) ? final(MODEL_FAILURE_TYPES.SpendLimit) : retryable(MODEL_FAILURE_TYPES.RateLimit);
  }
  if (status === 529) return retryable(MODEL_FAILURE_TYPES.Overloaded);
  if (status >= 500) return retryable(MODEL_FAILURE_TYPES.Server);
  if (status === 408) return retryable(MODEL_FAILURE_TYPES.Timeout);
  if (status === 409) return retryable(MODEL_FAILURE_TYPES.Conflict);
  if (status === 401) return final(MODEL_FAILURE_TYPES.Authentication);
  if (status === 403) return final(MODEL_FAILURE_TYPES.PermissionDenied);
  if (status === 404) return final(MODEL_FAILURE_TYPES.NotFound);
  if (status === 413) return final(MODEL_FAILURE_TYPES.RequestTooLarge);
  if (status === 422) return final(MODEL_FAILURE_TYPES.Unprocessable);
  return final(MODEL_FAILURE_TYPES.BadRequest);
}

/** `retry-after-ms` first, then `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: HttpLikeError['headers'], nowMs = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | null =>
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(n: string): string | null }).get(name)
      : ((headers as Record<string, string>)[name] ?? null);
  const ms = Number.parseFloat(get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const raw = get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** The `error.type` of the API's error body (`overloaded_error`, `rate_limit_error`, ...), or null. */
function providerErrorType(error: HttpLikeError): string | null {
  const body = error.error as { error?: { type?: unknown } } | undefined;
  const type = body?.error?.type ?? (error as { type?: unknown }).type;
  return typeof type === 'string' ? type.slice(0, 64) : null;
}

function providerMessage(error: HttpLikeError): string {
  const body = error.error as { error?: { message?: string; type?: string } } | undefined;
  const inner = body?.error?.message;
  const status = error.status ? `${error.status} ` : '';
  return `${status}${inner ?? error.message ?? 'model call failed'}`.slice(0, 500);
}
