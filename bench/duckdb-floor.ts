// The floor for this machine: DuckDB alone scanning the four columns the pipeline needs and
// counting the trips it keeps. Prints one JSON line with the query's own time.
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/duckdb-floor.ts FILE.parquet');

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const start = performance.now();
const reader = await connection.runAndReadAll(
  `SELECT count(*)::BIGINT AS kept, sum(PULocationID)::BIGINT AS pu, sum(DOLocationID)::BIGINT AS do_
     FROM read_parquet($1)
    WHERE date_diff('microsecond', tpep_pickup_datetime, tpep_dropoff_datetime) BETWEEN 60000000 AND 3600000000`,
  [file],
);
const seconds = (performance.now() - start) / 1000;
const row = reader.getRowObjects()[0];
console.log(JSON.stringify({ kept: Number(row?.kept), seconds }));
connection.closeSync();
instance.closeSync();
