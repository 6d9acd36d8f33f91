import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestMonth, validateTripFile } from '../src/index';
import { duckdbCount, removeDir, sendBytes, sharedTlcDir, startServer, tempDir } from './helpers';

const skip = existsSync(sharedTlcDir) ? false : `real TLC files not found at ${sharedTlcDir} (../shared is absent)`;

void test('every real green file validates with DuckDB’s row count', { skip }, async () => {
  const files = (await readdir(sharedTlcDir)).filter((name) => name.endsWith('.parquet')).sort();
  assert.equal(files.length, 9);
  const idTypes = new Set<string>();
  for (const name of files) {
    const path = join(sharedTlcDir, name);
    const info = await validateTripFile(path);
    assert.equal(info.rows, await duckdbCount(path), name);
    assert.equal(info.pickupColumn, 'lpep_pickup_datetime', name);
    assert.equal(info.dropoffColumn, 'lpep_dropoff_datetime', name);
    idTypes.add(info.columns.find((column) => column.name === 'PULocationID')?.type ?? 'missing');
  }
  assert.deepEqual([...idTypes].sort(), ['INT32', 'INT64'], 'both location id widths are covered');
});

void test('green 2023-03 has 72,044 rows', { skip }, async () => {
  assert.equal((await validateTripFile(join(sharedTlcDir, 'green_tripdata_2023-03.parquet'))).rows, 72_044);
});

void test('a real file downloaded over HTTP keeps the published sha256 (SOURCES.txt)', { skip }, async () => {
  const name = 'green_tripdata_2023-03.parquet';
  const body = await readFile(join(sharedTlcDir, name));
  const sources = await readFile(join(sharedTlcDir, 'SOURCES.txt'), 'utf8');
  const published = /green_tripdata_2023-03\.parquet \| ([0-9a-f]{64})/.exec(sources)?.[1];
  assert.ok(published, 'SOURCES.txt lists green 2023-03');
  assert.equal(createHash('sha256').update(body).digest('hex'), published);

  const server = await startServer((req, res) => (req.url === `/trip-data/${name}` ? sendBytes(req, res, body) : res.writeHead(404).end()));
  const cacheDir = await tempDir('ingest-real');
  try {
    const result = await ingestMonth({ taxi: 'green', year: 2023, month: 3, cacheDir, baseUrl: `${server.baseUrl}/trip-data` });
    assert.equal(result.sha256, published);
    assert.equal(result.rows, 72_044);
    assert.equal(result.bytes, body.length);
    assert.equal(result.pickupColumn, 'lpep_pickup_datetime');
  } finally {
    await server.close();
    await removeDir(cacheDir);
  }
});
