/**
 * Provider errors become ApplicationFailures with dotted types; retryable ones carry the server's retry-after as
 * `nextRetryDelay` (ApplicationFailure keeps the milliseconds it was given). Asserted by `.type`, not instanceof.
 */
import { classifyModelError, MODEL_FAILURE_TYPES, retryAfterMs } from '../../src/models/errors';

const NOW_MS = Date.parse('2026-05-14T10:00:00.000Z');

/** An error shaped like the Anthropic SDK's APIError. */
function apiError(status: number, options: { headers?: Record<string, string>; type?: string; message?: string } = {}) {
  return {
    status,
    headers: new Headers(options.headers ?? {}),
    error: { type: 'error', error: { type: options.type ?? 'api_error', message: options.message ?? 'something went wrong' } },
    message: `${status} {"type":"error"}`,
  };
}

describe('classifyModelError: retryable', () => {
  it.each<[number, string, string]>([
    [408, 'timeout_error', MODEL_FAILURE_TYPES.Timeout],
    [409, 'conflict_error', MODEL_FAILURE_TYPES.Conflict],
    [429, 'rate_limit_error', MODEL_FAILURE_TYPES.RateLimit],
    [500, 'api_error', MODEL_FAILURE_TYPES.Server],
    [503, 'api_error', MODEL_FAILURE_TYPES.Server],
    [529, 'overloaded_error', MODEL_FAILURE_TYPES.Overloaded],
  ])('%i is retryable as %s → %s', (status, apiType, failureType) => {
    const failure = classifyModelError(apiError(status, { type: apiType }), NOW_MS);
    expect(failure.type).toBe(failureType);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it('classifies overload and rate limits by the provider error type, not the status alone', () => {
    expect(classifyModelError(apiError(503, { type: 'overloaded_error' }), NOW_MS).type).toBe(MODEL_FAILURE_TYPES.Overloaded);
    expect(classifyModelError(apiError(500, { type: 'rate_limit_error' }), NOW_MS).type).toBe(MODEL_FAILURE_TYPES.RateLimit);
    expect(classifyModelError(apiError(529, { type: 'api_error' }), NOW_MS).type).toBe(MODEL_FAILURE_TYPES.Overloaded);
    expect(classifyModelError(apiError(503, { type: 'api_error' }), NOW_MS).type).toBe(MODEL_FAILURE_TYPES.Server);
    // An overload reported inside a stream has no status; the SDK puts the type on the error.
    const midStream = { status: undefined, type: 'overloaded_error', error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
    const failure = classifyModelError(midStream, NOW_MS);
    expect(failure.type).toBe(MODEL_FAILURE_TYPES.Overloaded);
    expect(failure.nonRetryable).toBe(false);
  });

  it('uses the dotted type names', () => {
    expect(classifyModelError(apiError(429), NOW_MS).type).toBe('ModelInvocationError.RateLimit');
    expect(classifyModelError(apiError(529), NOW_MS).type).toBe('ModelInvocationError.Overloaded');
  });

  it('carries the provider message and the status in the message and the details', () => {
    const failure = classifyModelError(apiError(429, { message: 'Number of requests has exceeded your rate limit', headers: { 'retry-after': '7' } }), NOW_MS);
    expect(failure.message).toBe('429 Number of requests has exceeded your rate limit');
    expect(failure.details).toEqual([
      { status: 429, message: '429 Number of requests has exceeded your rate limit', retryAfterMs: 7000, providerType: 'api_error' },
    ]);
  });

  it('takes nextRetryDelay from retry-after-ms first', () => {
    const failure = classifyModelError(apiError(429, { headers: { 'retry-after-ms': '2500.2', 'retry-after': '9' } }), NOW_MS);
    expect(failure.nextRetryDelay).toBe(2501);
  });

  it('takes nextRetryDelay from retry-after in seconds', () => {
    expect(classifyModelError(apiError(529, { headers: { 'retry-after': '3' } }), NOW_MS).nextRetryDelay).toBe(3000);
    expect(classifyModelError(apiError(500, { headers: { 'retry-after': '0.5' } }), NOW_MS).nextRetryDelay).toBe(500);
  });

  it('takes nextRetryDelay from retry-after as an HTTP date, relative to now', () => {
    const at = new Date(NOW_MS + 45_000).toUTCString();
    expect(classifyModelError(apiError(429, { headers: { 'retry-after': at } }), NOW_MS).nextRetryDelay).toBe(45_000);
    const past = new Date(NOW_MS - 45_000).toUTCString();
    expect(classifyModelError(apiError(429, { headers: { 'retry-after': past } }), NOW_MS).nextRetryDelay).toBe(0);
  });

  it('ignores a retry-after it cannot read', () => {
    expect(classifyModelError(apiError(429, { headers: { 'retry-after': 'soon' } }), NOW_MS).nextRetryDelay).toBeUndefined();
  });

  it.each<[string, string]>([
    ['APIConnectionError', MODEL_FAILURE_TYPES.Connection],
    ['APIConnectionTimeoutError', MODEL_FAILURE_TYPES.Timeout],
    ['APIUserAbortError', MODEL_FAILURE_TYPES.Connection],
    ['TypeError', MODEL_FAILURE_TYPES.Unknown],
  ])('an error without a status named %s is retryable as %s', (name, failureType) => {
    const failure = classifyModelError({ name, message: 'Connection error.' }, NOW_MS);
    expect(failure.type).toBe(failureType);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toBe('Connection error.');
  });

  it('classifies something that is not an error at all as Unknown', () => {
    const failure = classifyModelError(undefined, NOW_MS);
    expect(failure.type).toBe('ModelInvocationError.Unknown');
    expect(failure.message).toBe('model call failed');
  });
});

describe('classifyModelError: not retryable', () => {
  it.each<[number, string, string]>([
    [400, 'invalid_request_error', 'ModelInvocationError.BadRequest'],
    [401, 'authentication_error', 'ModelInvocationError.Authentication'],
    [403, 'permission_error', 'ModelInvocationError.PermissionDenied'],
    [404, 'not_found_error', 'ModelInvocationError.NotFound'],
    [413, 'request_too_large', 'ModelInvocationError.RequestTooLarge'],
    [422, 'invalid_request_error', 'ModelInvocationError.Unprocessable'],
  ])('%i (%s) is final as %s', (status, apiType, failureType) => {
    const failure = classifyModelError(apiError(status, { type: apiType, headers: { 'retry-after': '5' } }), NOW_MS);
    expect(failure.type).toBe(failureType);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  it.each(['Your spend limit has been reached', 'Your credit balance is too low', 'Check your billing details'])(
    'a 429 saying "%s" is a final SpendLimit, not a rate limit',
    (message) => {
      const failure = classifyModelError(apiError(429, { type: 'rate_limit_error', message, headers: { 'retry-after': '5' } }), NOW_MS);
      expect(failure.type).toBe('ModelInvocationError.SpendLimit');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.nextRetryDelay).toBeUndefined();
    },
  );

  it('cuts a very long provider message to 500 characters', () => {
    const failure = classifyModelError(apiError(400, { message: 'x'.repeat(2000) }), NOW_MS);
    expect(failure.message).toHaveLength(500);
    expect(failure.message.startsWith('400 xxx')).toBe(true);
  });
});

describe('retryAfterMs', () => {
  it('reads plain-object headers as well as Headers', () => {
    expect(retryAfterMs({ 'retry-after-ms': '120' }, NOW_MS)).toBe(120);
    expect(retryAfterMs(new Headers({ 'Retry-After': '2' }), NOW_MS)).toBe(2000);
  });

  it('returns undefined without a usable header', () => {
    expect(retryAfterMs(undefined, NOW_MS)).toBeUndefined();
    expect(retryAfterMs(new Headers(), NOW_MS)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after-ms': '-5' }, NOW_MS)).toBeUndefined();
  });
});
