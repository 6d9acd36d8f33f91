import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { validateTripFile } from '@taxi-mlops/ingest';
import { generateTripFile } from '../src/index';
import type { GenerateOptions } from '../src/index';

const yellowColumns = [
  'VendorID', 'tpep_pickup_datetime', 'tpep_dropoff_datetime', 'passenger_count', 'trip_distance', 'RatecodeID',
  'store_and_fwd_flag', 'PULocationID', 'DOLocationID', 'payment_type', 'fare_amount', 'extra', 'mta_tax',
  'tip_amount', 'tolls_amount', 'improvement_surcharge', 'total_amount', 'congestion_surcharge', 'airport_fee',
];
// The real green files' columns, in order (checked against /work/shared/data/tlc/green_tripdata_*.parquet).
const greenColumns = [
  'VendorID', 'lpep_pickup_datetime', 'lpep_dropoff_datetime', 'store_and_fwd_flag', 'RatecodeID', 'PULocationID',
  'DOLocationID', 'passenger_count', 'trip_distance', 'fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount',
  'ehail_fee', 'improvement_surcharge', 'total_amount', 'payment_type', 'trip_type', 'congestion_surcharge',
];

let dir: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synth-test-'));
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
});
after(async () => {
  db.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function rows(sql: string, path: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql, [path])).getRowObjectsJson();
}

async function generate(name: string, options: Partial<GenerateOptions> = {}): Promise<string> {
  const path = join(dir, name);
  await generateTripFile({ path, taxi: 'yellow', rows: 50_000, seed: 7, year: 2023, month: 3, ...options });
  return path;
}

async function schema(path: string): Promise<string[]> {
  return (await rows('SELECT name, type FROM parquet_schema($1)', path)).slice(1).map((r) => `${String(r.name)}:${String(r.type)}`);
}

void test('the same seed gives the same rows, another seed different rows', async () => {
  const a = await generate('a.parquet', { rows: 5000 });
  const b = await generate('b.parquet', { rows: 5000 });
  const c = await generate('c.parquet', { rows: 5000, seed: 8 });
  const all = (path: string) => rows('SELECT * FROM read_parquet($1)', path);
  const [ra, rb, rc] = await Promise.all([all(a), all(b), all(c)]);
  assert.equal(ra.length, 5000);
  assert.deepEqual(ra, rb);
  assert.notDeepEqual(ra, rc);
  const samePickups = ra.filter((row, i) => row.tpep_pickup_datetime === rc[i]?.tpep_pickup_datetime).length;
  assert.ok(samePickups < 50, `seeds 7 and 8 share ${samePickups} of 5000 pickup times`);
});

void test('yellow files have the 19 TLC columns; int32 and int64 layouts type them like the real months', async () => {
  const int32 = await schema(await generate('y32.parquet', { rows: 100, idType: 'int32' }));
  const int64 = await schema(await generate('y64.parquet', { rows: 100, idType: 'int64' }));
  assert.deepEqual(int32.map((c) => c.split(':')[0]), yellowColumns);
  assert.deepEqual(int64.map((c) => c.split(':')[0]), yellowColumns);
  for (const expected of ['VendorID:INT32', 'PULocationID:INT32', 'DOLocationID:INT32', 'passenger_count:INT64', 'RatecodeID:INT64', 'tpep_pickup_datetime:INT64', 'fare_amount:DOUBLE', 'airport_fee:DOUBLE', 'store_and_fwd_flag:BYTE_ARRAY']) {
    assert.ok(int32.includes(expected), `int32 layout has ${expected}: ${int32.join(' ')}`);
  }
  for (const expected of ['VendorID:INT64', 'PULocationID:INT64', 'DOLocationID:INT64', 'passenger_count:DOUBLE', 'RatecodeID:DOUBLE', 'payment_type:INT64']) {
    assert.ok(int64.includes(expected), `int64 layout has ${expected}: ${int64.join(' ')}`);
  }
});

void test('green files have the 20 columns of the real green months', async () => {
  const green = await schema(await generate('g.parquet', { rows: 100, taxi: 'green', idType: 'int64' }));
  assert.deepEqual(green.map((c) => c.split(':')[0]), greenColumns);
  assert.ok(green.includes('PULocationID:INT64') && green.includes('trip_type:DOUBLE'), green.join(' '));
});

void test('each codec and parquet version is written as asked', async () => {
  for (const [codec, expected] of [['zstd', 'ZSTD'], ['snappy', 'SNAPPY'], ['gzip', 'GZIP'], ['uncompressed', 'UNCOMPRESSED']] as const) {
    const path = await generate(`codec-${codec}.parquet`, { rows: 1000, codec });
    const found = await rows('SELECT DISTINCT compression FROM parquet_metadata($1)', path);
    assert.deepEqual(found.map((r) => r.compression), [expected], codec);
  }
  for (const [version, expected] of [['v1', '1'], ['v2', '2']] as const) {
    const path = await generate(`version-${version}.parquet`, { rows: 1000, parquetVersion: version });
    const [meta] = await rows('SELECT format_version FROM parquet_file_metadata($1)', path);
    assert.equal(String(meta?.format_version), expected, version);
  }
});

void test('durations: mostly 3–40 min, exact 1.0 and 60.0 boundaries, and every out-of-range kind', async () => {
  const path = await generate('durations.parquet');
  const [stats] = await rows(
    `WITH d AS (SELECT epoch_us(tpep_dropoff_datetime - tpep_pickup_datetime) / 60e6 AS minutes FROM read_parquet($1))
     SELECT count(*) AS n,
       count(*) FILTER (minutes BETWEEN 3 AND 40) AS typical,
       count(*) FILTER (minutes BETWEEN 1 AND 60) AS kept,
       count(*) FILTER (minutes = 1.0) AS exactly_one,
       count(*) FILTER (minutes = 60.0) AS exactly_sixty,
       count(*) FILTER (minutes < 0) AS negative,
       count(*) FILTER (minutes = 0) AS zero,
       count(*) FILTER (minutes > 0 AND minutes < 1) AS under_a_minute,
       count(*) FILTER (minutes > 60 AND minutes < 61) AS just_over_an_hour,
       count(*) FILTER (minutes >= 120) AS multi_hour
     FROM d`,
    path,
  );
  assert.ok(stats);
  const n = Number(stats.n);
  assert.equal(n, 50_000);
  assert.ok(Number(stats.typical) > 0.85 * n, `typical ${String(stats.typical)}`);
  assert.ok(Number(stats.kept) > 0.9 * n && Number(stats.kept) < n, `kept ${String(stats.kept)}`);
  for (const kind of ['exactly_one', 'exactly_sixty', 'negative', 'zero', 'under_a_minute', 'just_over_an_hour', 'multi_hour']) {
    assert.ok(Number(stats[kind]) > 0, `${kind}: ${String(stats[kind])}`);
  }
});

void test('some pickups fall outside the month, the rest inside it', async () => {
  const path = await generate('outside.parquet', { rows: 50_000, year: 2022, month: 2 });
  const [stats] = await rows(
    `SELECT count(*) FILTER (tpep_pickup_datetime < TIMESTAMP '2022-02-01') AS before,
            count(*) FILTER (tpep_pickup_datetime >= TIMESTAMP '2022-03-01') AS after
     FROM read_parquet($1)`,
    path,
  );
  const before = Number(stats?.before);
  const after = Number(stats?.after);
  assert.ok(before > 0 && after > 0 && before + after < 100, `before ${before}, after ${after}`);
});

void test('zone popularity is skewed, controlled by zoneSkew, within 1..265', async () => {
  const topShare = async (zoneSkew: number) => {
    const path = await generate(`skew-${zoneSkew}.parquet`, { zoneSkew });
    const [top] = await rows(
      `SELECT max(n) / sum(n) AS share, min(zone) AS lo, max(zone) AS hi, count(*) AS zones
       FROM (SELECT PULocationID AS zone, count(*) AS n FROM read_parquet($1) GROUP BY 1)`,
      path,
    );
    assert.ok(Number(top?.lo) >= 1 && Number(top?.hi) <= 265, `zones ${String(top?.lo)}..${String(top?.hi)}`);
    return Number(top?.share);
  };
  const uniform = await topShare(0);
  const skewed = await topShare(0.7);
  const steep = await topShare(1.5);
  assert.ok(uniform < 0.01, `uniform top share ${uniform}`);
  assert.ok(skewed > 0.03 && skewed < 0.1, `default top share ${skewed}`);
  assert.ok(steep > skewed, `steeper skew concentrates more (${steep} vs ${skewed})`);
});

void test('ingest accepts every variant', async () => {
  for (const taxi of ['yellow', 'green'] as const) {
    for (const idType of ['int32', 'int64'] as const) {
      const path = await generate(`valid-${taxi}-${idType}.parquet`, { rows: 2000, taxi, idType, codec: idType === 'int32' ? 'zstd' : 'gzip' });
      const info = await validateTripFile(path);
      assert.equal(info.rows, 2000);
      assert.equal(info.pickupColumn, taxi === 'yellow' ? 'tpep_pickup_datetime' : 'lpep_pickup_datetime');
    }
  }
});

void test('zero rows is a valid (empty) file; bad options → invalid_request naming the field; no temp file is left', async () => {
  assert.equal((await validateTripFile(await generate('empty.parquet', { rows: 0 }))).rows, 0);
  const bad: [Partial<GenerateOptions>, RegExp][] = [
    [{ rows: -1 }, /^rows: /],
    [{ rows: 1.5 }, /^rows: /],
    [{ month: 13 }, /^month: /],
    [{ year: 2008 }, /^year: /],
    [{ taxi: 'fhv' as 'yellow' }, /^taxi: "fhv" is not one of yellow, green$/],
    [{ codec: 'lz4' as 'zstd' }, /^codec: /],
    [{ idType: 'int16' as 'int32' }, /^idType: /],
    [{ zoneSkew: -1 }, /^zoneSkew: /],
  ];
  for (const [options, message] of bad) {
    await assert.rejects(generate('bad.parquet', options), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'invalid_request');
      assert.match((error as Error).message, message);
      return true;
    });
  }
  await assert.rejects(generateTripFile({ path: join(dir, 'no-such-dir', 'x.parquet'), taxi: 'yellow', rows: 10, seed: 1, year: 2023, month: 3 }), {
    code: 'invalid_request',
    message: /^path: directory .*no-such-dir does not exist$/,
  });
  assert.deepEqual((await readdir(dir)).filter((name) => name.includes('bad') || name.endsWith('.tmp')), []);
});

void test('the CLI writes the file it is asked for', async () => {
  const out = join(dir, 'cli.parquet');
  const main = join(import.meta.dirname, '..', 'src', 'main.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, '--out', out, '--rows', '1234', '--taxi', 'green', '--seed', '3', '--id-type', 'int64', '--codec', 'snappy']);
  assert.match(stdout, /^wrote 1234 green rows to .*cli\.parquet/);
  const info = await validateTripFile(out);
  assert.equal(info.rows, 1234);
  assert.equal(info.columns.find((c) => c.name === 'DOLocationID')?.type, 'INT64');
});
