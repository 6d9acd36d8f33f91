import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';

/** Real TLC files live outside the repository; tests that need them skip when it is absent. */
export const sharedTlc = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'tlc');
export const sharedMissing = existsSync(sharedTlc) ? false : `real TLC files not found at ${sharedTlc} (../shared relative to the repo root)`;

export async function withDuckDb<T>(work: (run: (sql: string, params?: DuckDBValue[]) => Promise<Record<string, DuckDBValue>[]>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(async (sql, params = []) => (await connection.runAndReadAll(sql, params)).getRowObjects());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface FixtureTrip {
  /** Pickup and drop-off as integer counts of the file's unit since the epoch. */
  pickup: bigint;
  dropoff: bigint;
  pu: number | null;
  do: number | null;
}

/**
 * Writes a small trip parquet file. The table layout comes from the fixed options below;
 * only the values and the output path are bound parameters.
 */
export async function writeTripParquet(
  path: string,
  trips: readonly FixtureTrip[],
  options: { prefix: 'tpep' | 'lpep'; unit: 'us' | 'ns'; idType: 'INTEGER' | 'BIGINT' },
): Promise<void> {
  const timestamp = options.unit === 'ns' ? 'TIMESTAMP_NS' : 'TIMESTAMP';
  const make = options.unit === 'ns' ? 'make_timestamp_ns' : 'make_timestamp';
  await withDuckDb(async (run) => {
    await run(`CREATE TABLE trips (VendorID INTEGER, ${options.prefix}_pickup_datetime ${timestamp}, ${options.prefix}_dropoff_datetime ${timestamp}, PULocationID ${options.idType}, DOLocationID ${options.idType})`);
    for (const trip of trips) {
      await run(`INSERT INTO trips SELECT 2, ${make}($1::BIGINT), ${make}($2::BIGINT), $3, $4`, [trip.pickup, trip.dropoff, trip.pu, trip.do]);
    }
    await run('COPY trips TO $1 (FORMAT parquet)', [path]);
  });
}
