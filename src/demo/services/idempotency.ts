/**
 * Stripe's idempotency rules, on the database:
 * - the first request with a key claims it (one committed INSERT; the primary key decides races);
 * - its effect and its response are committed in one transaction that also releases the claim;
 * - the same key and the same request (method, path, canonical body) gets the stored response again;
 * - the same key and another request gets 422; the key while its first request runs gets 409;
 * - 4xx responses are stored (a declined card stays declined); 5xx are not, and free the key for a retry.
 */
import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Database, Queryable } from './db';
import { ApiError, type ApiResponse } from './http';

/** A claim older than this is taken to belong to a request that died (its transaction rolled back). */
export const IN_FLIGHT_LEASE_MS = 60_000;

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_KEY_LENGTH = 255;

/** The identity of a request under its key: method, path and the RFC 8785 canonical body. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(canonicalize({ method, path, body }) ?? '')
    .digest('hex');
}

/** Reads the Idempotency-Key header, refusing a request without one (nothing is claimed or stored). */
export function requireIdempotencyKey(header: string | string[] | undefined): string {
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || key.trim() === '') {
    throw new ApiError(
      400,
      'invalid_request_error',
      'idempotency_key_missing',
      'this endpoint changes state and requires an Idempotency-Key header (a unique string per operation; ' +
        'send the same key to retry the same operation safely)',
      { stored: false },
    );
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new ApiError(400, 'invalid_request_error', 'idempotency_key_invalid', `Idempotency-Key is over ${MAX_KEY_LENGTH} characters`, {
      stored: false,
    });
  }
  return key;
}

export interface KeyedRequest {
  key: string;
  method: string;
  path: string;
  fingerprint: string;
}

interface KeyRow {
  state: 'in_flight' | 'completed' | 'voided';
  method: string | null;
  path: string | null;
  request_hash: string | null;
  claim_token: string | null;
  response_status: number | null;
  response_body: string | null;
  stale: boolean;
}

type Claim = { kind: 'claimed'; token: string } | { kind: 'replay'; response: ApiResponse };

const inUse = (key: string) =>
  new ApiError(
    409,
    'idempotency_error',
    'idempotency_key_in_use',
    `another request with Idempotency-Key "${key}" is still being processed; retry after it finishes`,
    { stored: false, headers: { 'Retry-After': '1' } },
  );

/** Claims the key for this request, or says why not (replay, or a refusal thrown as ApiError). */
export async function claimKey(db: Database, request: KeyedRequest): Promise<Claim> {
  const token = randomUUID();
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (key, state, method, path, request_hash, claim_token, locked_at)
     VALUES ($1, 'in_flight', $2, $3, $4, $5, now())
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [request.key, request.method, request.path, request.fingerprint, token],
  );
  if (inserted.length === 1) return { kind: 'claimed', token };

  const [row] = await db.query<KeyRow>(
    `SELECT state, method, path, request_hash, claim_token, response_status, response_body,
            (locked_at < now() - make_interval(secs => $2::double precision)) AS stale
     FROM idempotency_keys WHERE key = $1`,
    [request.key, IN_FLIGHT_LEASE_MS / 1000],
  );
  // Deleted between the two statements (its request failed with a 5xx): the caller may simply retry.
  if (!row) throw inUse(request.key);
  if (row.state === 'voided') {
    throw new ApiError(
      410,
      'idempotency_error',
      'idempotency_key_voided',
      `Idempotency-Key "${request.key}" was undone before any request used it; use a new key for a new operation`,
    );
  }
  if (row.method !== request.method || row.path !== request.path || row.request_hash !== request.fingerprint) {
    throw new ApiError(
      422,
      'idempotency_error',
      'idempotency_key_reuse',
      `Idempotency-Key "${request.key}" was already used for a different request (${row.method} ${row.path} ` +
        'with other parameters); use a new key for a new operation',
      { stored: false },
    );
  }
  if (row.state === 'completed') {
    return {
      kind: 'replay',
      response: { status: row.response_status!, body: JSON.parse(row.response_body!), headers: { [REPLAYED_HEADER]: 'true' } },
    };
  }
  if (row.stale) {
    const retaken = await db.query(
      `UPDATE idempotency_keys SET claim_token = $3, locked_at = now()
       WHERE key = $1 AND state = 'in_flight' AND claim_token = $2 RETURNING key`,
      [request.key, row.claim_token, token],
    );
    if (retaken.length === 1) return { kind: 'claimed', token };
  }
  throw inUse(request.key);
}

/** Stores the response (as text, so a replay keeps its key order) and ends the claim, in the caller's transaction (the one that wrote the effect). */
export async function completeKey(tx: Queryable, key: string, token: string, response: ApiResponse): Promise<void> {
  const updated = await tx.query(
    `UPDATE idempotency_keys
     SET state = 'completed', response_status = $3, response_body = $4, completed_at = now(),
         claim_token = NULL, locked_at = NULL
     WHERE key = $1 AND state = 'in_flight' AND claim_token = $2 RETURNING key`,
    [key, token, response.status, JSON.stringify(response.body)],
  );
  // The lease ran out and another request took the key: this one must not commit its effect too.
  if (updated.length !== 1) throw inUse(key);
}

/** Frees the key after a failure that is not stored, so a retry can claim it. */
export async function releaseKey(db: Queryable, key: string, token: string): Promise<void> {
  await db.query(`DELETE FROM idempotency_keys WHERE key = $1 AND state = 'in_flight' AND claim_token = $2`, [key, token]);
}

export interface IdempotentResult {
  response: ApiResponse;
  replayed: boolean;
}

/**
 * Runs `perform` at most once per key. `perform` runs inside the transaction that stores its response;
 * a stored refusal (an `ApiError` with `stored`) rolls back what `perform` wrote and is kept as the response.
 * Anything else thrown frees the key and is rethrown.
 */
export async function runIdempotent(
  db: Database,
  request: KeyedRequest,
  perform: (tx: Queryable) => Promise<ApiResponse>,
  hooks: { afterClaim?: () => Promise<void> } = {},
): Promise<IdempotentResult> {
  const claim = await claimKey(db, request);
  if (claim.kind === 'replay') return { response: claim.response, replayed: true };
  try {
    await hooks.afterClaim?.();
    const response = await db.transaction(async (tx) => {
      await tx.query('SAVEPOINT perform');
      let outcome: ApiResponse;
      try {
        outcome = await perform(tx);
      } catch (err) {
        if (!(err instanceof ApiError) || !err.stored || err.status >= 500) throw err;
        await tx.query('ROLLBACK TO SAVEPOINT perform');
        outcome = err.toResponse();
      }
      await completeKey(tx, request.key, claim.token, outcome);
      return outcome;
    });
    return { response, replayed: false };
  } catch (err) {
    await releaseKey(db, request.key, claim.token).catch(() => undefined);
    throw err;
  }
}
