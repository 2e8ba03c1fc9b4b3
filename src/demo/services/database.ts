/** The database the services query, whichever engine is under it (see ./db.ts). */
/** Runs one statement with positional parameters (`$1`, `$2`, ...) and returns its rows. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  /** Commits when `fn` resolves, rolls back when it throws (and rethrows). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Which engine and where, for the startup line (never a password). */
  readonly description: string;
}
