/**
 * What every service route is made of: a Stripe-shaped error, a response value, JSON in and out, and the
 * two kinds of route (reads, and operations that leave an effect in the ledger).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Queryable } from './db';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ApiErrorOptions {
  param?: string;
  headers?: Record<string, string>;
  /**
   * Whether the response is kept under the request's Idempotency-Key and replayed. Refusals that depend on
   * timing (another request holds the key) are not stored, as Stripe does. @default true
   */
  stored?: boolean;
}

/** A refusal with Stripe's body shape: `{ error: { type, code, message, param? } }`. */
export class ApiError extends Error {
  override name = 'ApiError' as const;
  readonly stored: boolean;
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly options: ApiErrorOptions = {},
  ) {
    super(message);
    this.stored = options.stored ?? true;
  }

  toResponse(): ApiResponse {
    const { param, headers } = this.options;
    return {
      status: this.status,
      body: { error: { type: this.type, code: this.code, message: this.message, ...(param ? { param } : {}) } },
      headers,
    };
  }
}

export const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON body (an empty body reads as `{}`). */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new ApiError(413, 'invalid_request_error', 'body_too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_request_error', 'invalid_json', 'request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, response: ApiResponse): void {
  const payload = JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

/** Validates a body or query with zod; the first problem becomes a 400 naming the parameter. */
export function parseParams<T>(schema: z.ZodType<T>, value: unknown, paramPrefix = ''): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.length > 0 ? paramPrefix + issue.path.join('.') : '';
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  throw new ApiError(
    400,
    'invalid_request_error',
    missing ? 'parameter_missing' : 'parameter_invalid',
    missing ? `missing required parameter: ${param}` : `invalid ${param || 'request'}: ${issue.message}`,
    { param: param || undefined },
  );
}

/** Parameter shapes the services share. */
export const params = {
  /** A calendar date, YYYY-MM-DD. */
  date: z.iso.date(),
  /** A person's or a city's name. */
  name: z.string().trim().min(1).max(200),
};

export interface ReadRequest {
  /** Named groups of the route's path pattern. */
  params: Record<string, string>;
  query: URLSearchParams;
}

/** A route that changes nothing. */
export interface ReadRoute {
  method: 'GET';
  path: RegExp;
  /** An operator's route (the ledger): fault rules never touch it. @default false */
  control?: boolean;
  handle(db: Queryable, req: ReadRequest): Promise<ApiResponse>;
}

/** What an operation decided: the response, and the effect to put in the ledger with it. */
export interface OperationOutcome {
  status: number;
  body: Record<string, unknown>;
  /** Absent when the operation decided to change nothing. */
  effect?: { resourceId: string; request: Record<string, unknown> };
}

export interface EffectRow {
  key: string;
  service: string;
  operation: string;
  resource_id: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  compensable: boolean;
  state: 'active' | 'undone';
  created_at: Date;
  undone_at: Date | null;
}

/**
 * A POST that changes the world, run under an Idempotency-Key. `perform` runs inside the transaction that
 * also writes the returned effect and the stored response; a refusal throws `ApiError` (what `perform`
 * wrote before it is rolled back). `undo` does whatever else reversing the effect needs and says what.
 */
export interface Operation<I = any> {
  method: 'POST';
  path: string;
  service: string;
  operation: string;
  input: z.ZodType<I>;
  /** Whether `POST /effects/undo` may reverse it (an email cannot be unsent). */
  compensable: boolean;
  /** `key` is the request's Idempotency-Key. */
  perform(tx: Queryable, input: I, key: string): Promise<OperationOutcome>;
  undo?(tx: Queryable, effect: EffectRow): Promise<Record<string, unknown>>;
  /** More keys a fault rule's `keyPrefix` may match besides the Idempotency-Key (the key being undone). */
  faultKeys?(input: I): string[];
}

/** The routes one stand-in service contributes, and the data it seeds. */
export interface ServiceModule {
  reads?: ReadRoute[];
  operations?: Operation[];
  seed?(db: Queryable): Promise<void>;
}
