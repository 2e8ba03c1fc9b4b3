/**
 * The demo's third-party services on one node:http server: reads, operations run under Stripe-style
 * idempotency, the effects ledger, and the fault-injection control endpoints.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { airlineService } from './airline';
import { carsService } from './cars';
import { type Database, openDatabase } from './db';
import { createUndoOperation, effectsLedger, recordEffect } from './effects';
import { emailService } from './email';
import { type FaultPhase, faultRuleSchema, FaultRules } from './faults';
import { hotelService } from './hotel';
import { ApiError, type ApiResponse, type Operation, parseParams, type ReadRoute, readJsonBody, sendJson, type ServiceModule } from './http';
import { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER, requestFingerprint, requireIdempotencyKey, runIdempotent } from './idempotency';
import { paymentsService } from './payments';
import { supportService } from './support';
import { weatherService } from './weather';

export const DEFAULT_SERVICES_PORT = 4500;

/** Every stand-in service, in the order their routes are matched. */
export const SERVICE_MODULES: readonly ServiceModule[] = [
  weatherService,
  airlineService,
  hotelService,
  carsService,
  paymentsService,
  emailService,
  supportService,
  effectsLedger,
];

export interface ServicesOptions {
  /** 0 picks a free port. @default 4500 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** PostgreSQL connection string. @default process.env.DATABASE_URL, unless `dataDir` is given */
  databaseUrl?: string;
  /** PGlite data directory, or `memory://`. @default '.sagent/services-db' */
  dataDir?: string;
  /** Called with one line per request; silent when absent. */
  log?: (line: string) => void;
}

export interface RunningServices {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:4500`. */
  url: string;
  port: number;
  /** Which database the services use (engine and location). */
  database: string;
  /** Stops accepting requests, lets the running ones finish, closes the database. */
  close(): Promise<void>;
}

/**
 * Starts listening, then opens and seeds the database (a port in use fails fast, before any database work).
 * Requests that arrive meanwhile wait for the database. Rejects, after cleaning up, when either fails.
 */
export async function startServices(options: ServicesOptions = {}): Promise<RunningServices> {
  const databaseUrl = options.databaseUrl ?? (options.dataDir === undefined ? process.env.DATABASE_URL || undefined : undefined);
  const log = options.log ?? (() => undefined);
  const active = new Set<Promise<void>>();
  let ready!: (handle: RequestHandler) => void;
  const handler = new Promise<RequestHandler>((resolve) => (ready = resolve));
  const server = createServer((req, res) => {
    const done = handler.then((handle) => handle(req, res)).finally(() => active.delete(done));
    active.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_SERVICES_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  let db: Database | undefined;
  try {
    db = await openDatabase({ databaseUrl, dataDir: options.dataDir });
    for (const module of SERVICE_MODULES) await module.seed?.(db);
  } catch (err) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db?.close().catch(() => undefined);
    throw err;
  }
  ready(createRequestHandler(db, new FaultRules(), log));
  const database = db;
  const { address, port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    port,
    database: database.description,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.allSettled([...active]);
        server.closeAllConnections();
        await stopped;
        await database.close();
      })();
      return closing;
    },
  };
}

type Route = { kind: 'read'; route: ReadRoute; params: Record<string, string> } | { kind: 'operation'; op: Operation };

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function createRequestHandler(db: Database, faults: FaultRules, log: (line: string) => void): RequestHandler {
  const operations = SERVICE_MODULES.flatMap((m) => m.operations ?? []);
  const allOperations = [...operations, createUndoOperation(operations)];
  const reads = SERVICE_MODULES.flatMap((m) => m.reads ?? []);

  function findRoute(method: string, path: string): Route {
    for (const route of reads) {
      const match = route.path.exec(path);
      if (!match) continue;
      if (method !== 'GET') throw methodNotAllowed(method, path, 'GET');
      return { kind: 'read', route, params: { ...match.groups } };
    }
    const op = allOperations.find((o) => o.path === path);
    if (!op) throw new ApiError(404, 'invalid_request_error', 'not_found', `no route for ${method} ${path}`);
    if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
    return { kind: 'operation', op };
  }

  /** Applies the fault a rule holds for this phase; true when the socket was dropped. */
  async function strike(phase: FaultPhase, path: string, keys: string[], res: ServerResponse): Promise<boolean> {
    const rule = faults.take(phase, path, keys);
    if (!rule) return false;
    if (rule.mode === 'delay') {
      await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
      return false;
    }
    if (rule.mode === 'commitThenDrop') {
      res.socket?.destroy();
      return true;
    }
    throw new ApiError(rule.status, 'api_error', 'fault_injected', `injected fault #${rule.id} (${rule.mode}) on ${path}`, { stored: false });
  }

  async function control(req: IncomingMessage, path: string): Promise<ApiResponse | undefined> {
    if (path === '/_health' && req.method === 'GET') return { status: 200, body: { ok: true, database: db.description } };
    if (path !== '/_faults') return undefined;
    if (req.method === 'GET') return { status: 200, body: { faults: faults.list() } };
    if (req.method === 'DELETE') return { status: 200, body: { cleared: faults.clear() } };
    if (req.method === 'POST') {
      const body = await readJsonBody(req);
      // One rule, a list of rules, or { rules: [...] }.
      const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.rules) ? body.rules : [body];
      const rules = list.map((rule, i) => parseParams(faultRuleSchema, rule, list.length > 1 ? `rules.${i}.` : ''));
      return { status: 201, body: { faults: faults.add(rules) } };
    }
    throw methodNotAllowed(req.method ?? '', path, 'GET, POST, DELETE');
  }

  async function serveRead(
    route: ReadRoute,
    params: Record<string, string>,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<ApiResponse | 'dropped'> {
    const keys = keyHeader(req);
    if (!route.control) {
      await strike('arrival', url.pathname, keys, res);
      await strike('execute', url.pathname, keys, res);
    }
    const response = await route.handle(db, { params, query: url.searchParams });
    if (!route.control && (await strike('respond', url.pathname, keys, res))) return 'dropped';
    return response;
  }

  async function serveOperation(op: Operation, path: string, req: IncomingMessage, res: ServerResponse): Promise<ApiResponse | 'dropped'> {
    const key = requireIdempotencyKey(req.headers[IDEMPOTENCY_KEY_HEADER]);
    const body = await readJsonBody(req);
    // Invalid parameters are refused before the key is claimed, so nothing is stored (Stripe does the same).
    const input = parseParams(op.input, body);
    const keys = [key, ...(op.faultKeys?.(input) ?? [])];
    await strike('arrival', path, keys, res);
    const { response, replayed } = await runIdempotent(
      db,
      { key, method: 'POST', path, fingerprint: requestFingerprint('POST', path, body) },
      async (tx) => {
        const outcome = await op.perform(tx, input, key);
        if (outcome.effect) await recordEffect(tx, key, op, outcome.effect, outcome.body);
        return { status: outcome.status, body: outcome.body };
      },
      { afterClaim: async () => void (await strike('execute', path, keys, res)) },
    );
    if (await strike('respond', path, keys, res)) return 'dropped';
    return { ...response, headers: { ...response.headers, 'Idempotency-Key': key, ...(replayed ? { [REPLAYED_HEADER]: 'true' } : {}) } };
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://services.local');
    const path = url.pathname;
    let outcome: ApiResponse | 'dropped';
    try {
      const controlResponse = await control(req, path);
      if (controlResponse) {
        outcome = controlResponse;
      } else {
        const route = findRoute(req.method ?? '', path);
        outcome = route.kind === 'read' ? await serveRead(route.route, route.params, url, req, res) : await serveOperation(route.op, path, req, res);
      }
    } catch (err) {
      if (err instanceof ApiError) {
        outcome = err.toResponse();
      } else {
        log(`error: ${req.method} ${path}: ${(err as Error).stack ?? String(err)}`);
        outcome = new ApiError(500, 'api_error', 'internal_error', 'the service failed; retry with the same Idempotency-Key', { stored: false }).toResponse();
      }
    }
    if (outcome === 'dropped') {
      log(`${req.method} ${path} dropped after commit (fault) ${Date.now() - started}ms`);
      return;
    }
    if (!res.destroyed) sendJson(res, outcome);
    const replayed = outcome.headers?.[REPLAYED_HEADER] ? ' (replayed)' : '';
    log(`${req.method} ${url.pathname}${url.search} ${outcome.status}${replayed} ${Date.now() - started}ms`);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function keyHeader(req: IncomingMessage): string[] {
  const key = req.headers[IDEMPOTENCY_KEY_HEADER];
  return typeof key === 'string' ? [key] : [];
}

function methodNotAllowed(method: string, path: string, allowed: string): ApiError {
  return new ApiError(405, 'invalid_request_error', 'method_not_allowed', `${method} is not allowed on ${path} (use ${allowed})`, {
    headers: { Allow: allowed },
  });
}
