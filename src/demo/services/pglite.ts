/**
 * PGlite (embedded PostgreSQL in WASM) on a worker thread. Two reasons: its queries are synchronous WASM
 * that would otherwise stall the HTTP server, and its CommonJS build loads parts of itself with `import()`,
 * which jest's module sandbox refuses; a worker loads modules with Node's own loader wherever it runs.
 * PGlite is a single session, so a transaction holds a lock that every other statement waits for.
 */
import { Worker } from 'node:worker_threads';
import type { Database, Queryable } from './database';

/** Runs in the worker: opens the database and answers `{ id, sql, params }` one at a time. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { PGlite } = createRequire(workerData.resolveFrom)('@electric-sql/pglite');
const errorOf = (err) => ({ message: String(err && err.message || err), code: err && err.code, detail: err && err.detail });
PGlite.create(workerData.dataDir).then(
  (db) => {
    let queue = Promise.resolve();
    parentPort.on('message', (msg) => {
      queue = queue.then(async () => {
        if (msg.type === 'close') {
          await db.close().catch(() => undefined);
          parentPort.postMessage({ id: msg.id, rows: [] });
          return;
        }
        try {
          const result = await db.query(msg.sql, msg.params);
          parentPort.postMessage({ id: msg.id, rows: result.rows });
        } catch (err) {
          parentPort.postMessage({ id: msg.id, error: errorOf(err) });
        }
      });
    });
    parentPort.postMessage({ type: 'ready' });
  },
  (err) => parentPort.postMessage({ type: 'failed', error: errorOf(err) }),
);
`;

interface WorkerError {
  message: string;
  code?: string;
  detail?: string;
}

type WorkerReply = { type: 'ready' } | { type: 'failed'; error: WorkerError } | { id: number; rows?: unknown[]; error?: WorkerError };

/** An error from PostgreSQL with its SQLSTATE `code`, as `pg` reports it. */
export class DatabaseQueryError extends Error {
  override name = 'DatabaseQueryError' as const;
  constructor(
    message: string,
    readonly code?: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** Opens PGlite at `location` (a directory, or `memory://`) on a worker thread. */
export async function openPgliteWorker(location: string, description: string): Promise<Database> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { dataDir: location, resolveFrom: __filename } });
  const pending = new Map<number, { resolve(rows: unknown[]): void; reject(err: Error): void }>();
  let nextId = 1;
  let dead: Error | undefined;

  let opened!: { resolve(): void; reject(err: Error): void };
  const ready = new Promise<void>((resolve, reject) => (opened = { resolve, reject }));
  const fail = (err: Error) => {
    dead ??= err;
    opened.reject(err);
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  // One listener for the worker's life: removing every 'message' listener would stop its port.
  worker.on('message', (msg: WorkerReply) => {
    if (!('id' in msg)) {
      if (msg.type === 'ready') opened.resolve();
      else fail(new DatabaseQueryError(`cannot open PGlite at ${location}: ${msg.error.message}`, msg.error.code));
      return;
    }
    const waiter = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) waiter?.reject(new DatabaseQueryError(msg.error.message, msg.error.code, msg.error.detail));
    else waiter?.resolve(msg.rows ?? []);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the PGlite worker has stopped (exit code ${code})`)));
  await ready.catch(async (err) => {
    await worker.terminate();
    throw err;
  });

  const send = <R>(message: Record<string, unknown>): Promise<R[]> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise<R[]>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      worker.postMessage({ ...message, id });
    });
  };
  const run = <R>(sql: string, params?: unknown[]) => send<R>({ type: 'query', sql, params: params ?? [] });

  // One session: a statement outside a transaction must not land inside someone else's.
  let lock: Promise<void> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = lock.then(fn);
    lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  let closing: Promise<void> | undefined;
  return {
    description,
    query: <R>(sql: string, params?: unknown[]) => exclusive(() => run<R>(sql, params)),
    transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return exclusive(async () => {
        await run('BEGIN');
        try {
          const result = await fn({ query: run });
          await run('COMMIT');
          return result;
        } catch (err) {
          await run('ROLLBACK').catch(() => undefined);
          throw err;
        }
      });
    },
    close() {
      closing ??= exclusive(async () => {
        if (!dead) await send({ type: 'close' }).catch(() => undefined);
        await worker.terminate();
      });
      return closing;
    },
  };
}
