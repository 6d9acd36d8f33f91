import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ingestMonth, sourceUrlFor, tripFileName } from '../src/index';
import { closedPort, removeDir, tempDir } from './helpers';

const now = new Date('2023-04-15T12:00:00Z');

void test('file names and URLs follow the TLC template', () => {
  assert.equal(tripFileName('yellow', 2023, 3), 'yellow_tripdata_2023-03.parquet');
  assert.equal(tripFileName('green', 2021, 12), 'green_tripdata_2021-12.parquet');
  assert.equal(
    sourceUrlFor('yellow', 2023, 3),
    'https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-03.parquet',
  );
  assert.equal(sourceUrlFor('green', 2023, 1, 'http://mirror.local/tlc/'), 'http://mirror.local/tlc/green_tripdata_2023-01.parquet');
});

// Had validation let one of these through, it would fail differently (no cache dir, nothing listening).
const base = { cacheDir: '/nonexistent/cache', baseUrl: 'http://127.0.0.1:9', now, retry: { attempts: 1 } };

const rejections: [string, Record<string, unknown>, RegExp][] = [
  ['unknown taxi type', { taxi: 'blue', year: 2023, month: 3 }, /^taxi: unknown taxi type "blue"/],
  ['month 13', { taxi: 'yellow', year: 2023, month: 13 }, /^month: 13 is not a month/],
  ['month 0', { taxi: 'yellow', year: 2023, month: 0 }, /^month: 0 is not a month/],
  ['fractional year', { taxi: 'yellow', year: 2023.5, month: 1 }, /^year: /],
  ['a month before 2009-01', { taxi: 'yellow', year: 2008, month: 12 }, /^year: 2008-12 is before 2009-01/],
  ['a month in the future', { taxi: 'green', year: 2023, month: 5 }, /^month: 2023-05 is in the future \(now is 2023-04\)/],
  ['an empty cache dir', { taxi: 'green', year: 2023, month: 3, cacheDir: '' }, /^cacheDir: /],
  ['a zero size limit', { taxi: 'green', year: 2023, month: 3, maxBytes: 0 }, /^maxBytes: /],
  ['an unsupported source scheme', { taxi: 'green', year: 2023, month: 3, source: 's3://bucket/x.parquet' }, /^source: .*unsupported scheme/],
  ['a baseUrl that is not a URL', { taxi: 'green', year: 2023, month: 3, baseUrl: 'mirror/dir' }, /^baseUrl: /],
];

for (const [name, fields, message] of rejections) {
  void test(`invalid_request for ${name}`, async () => {
    await assert.rejects(ingestMonth({ ...base, ...fields } as Parameters<typeof ingestMonth>[0]), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'invalid_request', String(error));
      assert.match((error as Error).message, message);
      return true;
    });
  });
}

void test('the current month and 2009-01 pass request validation (and then fail on the network)', async () => {
  const cacheDir = await tempDir('ingest-request');
  const baseUrl = `http://127.0.0.1:${await closedPort()}`;
  try {
    for (const [year, month] of [[2023, 4], [2009, 1]] as const) {
      await assert.rejects(ingestMonth({ ...base, baseUrl, cacheDir, taxi: 'yellow', year, month }), { code: 'unreachable' });
    }
  } finally {
    await removeDir(cacheDir);
  }
});
