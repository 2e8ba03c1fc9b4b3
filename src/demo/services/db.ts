/**
 * One small interface over the two databases the services run on: PGlite (embedded PostgreSQL in WASM,
 * the default, no server; see ./pglite.ts) and PostgreSQL through `pg` (when `DATABASE_URL` is set).
 * Same SQL for both.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Pool } from 'pg';
import type { Database, Queryable } from './database';
import { openPgliteWorker } from './pglite';

export type { Database, Queryable } from './database';

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl?: string;
  /** PGlite's data directory, or `memory://` for a throwaway database. @default '.sagent/services-db' */
  dataDir?: string;
}

export const DEFAULT_DATA_DIR = '.sagent/services-db';

/** Opens the database and creates the tables when they are missing. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const db = options.databaseUrl ? await openPostgres(options.databaseUrl) : await openPglite(options.dataDir ?? DEFAULT_DATA_DIR);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

async function openPglite(dataDir: string): Promise<Database> {
  const isMemory = dataDir.startsWith('memory://');
  const location = isMemory ? dataDir : resolve(dataDir);
  // PGlite creates its own directory but not the parents.
  if (!isMemory) mkdirSync(dirname(location), { recursive: true });
  return openPgliteWorker(location, `pglite ${location}`);
}

async function openPostgres(databaseUrl: string): Promise<Database> {
  const url = URL.canParse(databaseUrl) ? new URL(databaseUrl) : undefined;
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
    throw new Error('it is not a PostgreSQL URL such as postgres://user:password@localhost:5432/sagent');
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client's error would otherwise crash the process.
  pool.on('error', (err) => console.error(`services database: ${err.message}`));
  // Fail at startup, not at the first request, when the URL is wrong.
  const probe = await pool.connect().catch(async (err) => {
    await pool.end().catch(() => undefined);
    throw err;
  });
  probe.release();
  return {
    description: `postgres ${url.host}${url.pathname}`,
    async query<R>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as R[];
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          async query<R>(sql: string, params?: unknown[]) {
            return (await client.query(sql, params)).rows as R[];
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Idempotent schema; one statement per query so both drivers take it on the extended protocol. */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
     key text PRIMARY KEY,
     state text NOT NULL CHECK (state IN ('in_flight', 'completed', 'voided')),
     method text,
     path text,
     request_hash text,
     claim_token text,
     locked_at timestamptz,
     response_status integer,
     response_body text,
     created_at timestamptz NOT NULL DEFAULT now(),
     completed_at timestamptz
   )`,
  `CREATE TABLE IF NOT EXISTS effects (
     key text PRIMARY KEY,
     service text NOT NULL,
     operation text NOT NULL,
     resource_id text NOT NULL,
     request jsonb NOT NULL,
     response jsonb NOT NULL,
     compensable boolean NOT NULL,
     state text NOT NULL CHECK (state IN ('active', 'undone')),
     created_at timestamptz NOT NULL DEFAULT now(),
     undone_at timestamptz
   )`,
  `CREATE TABLE IF NOT EXISTS undos (
     key text PRIMARY KEY,
     target_key text NOT NULL,
     result text NOT NULL CHECK (result IN ('compensated', 'not_needed')),
     detail jsonb,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS orders (
     id text PRIMARY KEY,
     customer_name text NOT NULL,
     customer_email text NOT NULL,
     items jsonb NOT NULL,
     total_cents integer NOT NULL,
     currency text NOT NULL,
     status text NOT NULL,
     placed_on text NOT NULL
   )`,
];

async function migrate(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    // Two servers starting on one PostgreSQL would otherwise race on CREATE TABLE IF NOT EXISTS.
    await tx.query('SELECT pg_advisory_xact_lock(4500)');
    for (const statement of SCHEMA) await tx.query(statement);
  });
}
