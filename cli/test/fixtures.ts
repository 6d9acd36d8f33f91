import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Writes a small green-taxi-shaped parquet file. `durationMinutes` gives each row's trip length;
 * `withDropoffZone: false` leaves out DOLocationID to make a wrong-schema file.
 * The path comes from mkdtemp in the test, never from user input.
 */
export async function writeGreenFixture(
  path: string,
  durationMinutes: number[],
  options: { withDropoffZone?: boolean } = {},
): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const dropoffZone = options.withDropoffZone === false ? '' : ', CAST(10 + (i % 7) AS BIGINT) AS DOLocationID';
    const values = durationMinutes.map((_, index) => `(${index}, ${Number(durationMinutes[index])})`).join(', ');
    await connection.run(
      `COPY (
         SELECT TIMESTAMP '2023-03-01 08:00:00' + i * INTERVAL 1 MINUTE AS lpep_pickup_datetime,
                TIMESTAMP '2023-03-01 08:00:00' + i * INTERVAL 1 MINUTE + to_microseconds(CAST(minutes * 60000000 AS BIGINT)) AS lpep_dropoff_datetime,
                CAST(1 + (i % 5) AS BIGINT) AS PULocationID${dropoffZone}
         FROM (VALUES ${values}) AS t(i, minutes)
       ) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
