import pg from 'pg';

/** One pool per process; `max` stays small because each gateway also holds a LISTEN connection. */
export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

export type { Pool, PoolClient } from 'pg';
