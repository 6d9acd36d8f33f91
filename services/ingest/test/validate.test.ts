import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { validateTripFile } from '../src/index';
import { craftTripFile, removeDir, tempDir } from './helpers';

let work: string;
before(async () => {
  work = await tempDir('ingest-validate');
});
after(async () => removeDir(work));

function expectCode(code: string, message: RegExp) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    assert.match((error as Error).message, message);
    return true;
  };
}

void test('a zone id stored as DOUBLE → invalid_schema naming the column and type', async () => {
  const path = join(work, 'double-ids.parquet');
  await craftTripFile(path, { rows: 50, doubleZoneIds: true });
  await assert.rejects(validateTripFile(path), expectCode('invalid_schema', /double-ids\.parquet: column PULocationID has type DOUBLE, expected INT32 or INT64$/));
});

void test('a file without pickup times → invalid_schema', async () => {
  const path = join(work, 'no-pickup.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run('COPY (SELECT 1::INTEGER AS PULocationID, 2::INTEGER AS DOLocationID) TO $1 (FORMAT parquet)', [path]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  await assert.rejects(validateTripFile(path), expectCode('invalid_schema', /missing pickup datetime column \(expected tpep_pickup_datetime or lpep_pickup_datetime\)$/));
});

void test('an intact footer over a corrupt PULocationID page header → invalid_file (data pages are decoded)', async () => {
  const path = join(work, 'corrupt-page.parquet');
  await craftTripFile(path, { rows: 20_000 });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  let offset: number;
  try {
    const result = await connection.runAndReadAll(
      "SELECT data_page_offset FROM parquet_metadata($1) WHERE path_in_schema = 'PULocationID'",
      [path],
    );
    offset = Number(result.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const bytes = await readFile(path);
  // Garble the data page header (thrift): the footer stays intact, only a real decode notices.
  for (let i = offset; i < offset + 24; i++) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
  await writeFile(path, bytes);
  await assert.rejects(validateTripFile(path), expectCode('invalid_file', /corrupt-page\.parquet: unreadable data pages \(/));
});

void test('a missing file → not_found; a directory → invalid_file', async () => {
  await assert.rejects(validateTripFile(join(work, 'nope.parquet')), expectCode('not_found', /nope\.parquet: no such file$/));
  await assert.rejects(validateTripFile(work), expectCode('invalid_file', /: not a regular file$/));
});

void test('messages use the label when one is given', async () => {
  const path = join(work, 'garbage.part');
  await writeFile(path, 'hello, not parquet at all');
  await assert.rejects(validateTripFile(path, { label: 'green file for 2023-03 from http://x/y' }), expectCode('invalid_file', /^green file for 2023-03 from http:\/\/x\/y: not a parquet file/));
});
