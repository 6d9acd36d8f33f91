import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DuckDBTimestampValue } from '@duckdb/node-api';
import { isPipelineError } from '@taxi-mlops/contracts';
import { readPairStatistics } from '@taxi-mlops/pair-stats';
import { buildMonthStatistics } from '../src/index';
import type { FixtureTrip } from './fixtures';
import { sharedMissing, sharedTlc, withDuckDb, writeTripParquet } from './fixtures';

interface RawTrip {
  pu: number;
  do: number;
  duration: number;
}

/** The homework's read_dataframe, done in JS from the raw column values (not from the features SQL). */
async function rawTrips(file: string): Promise<RawTrip[]> {
  const rows = await withDuckDb((run) =>
    run('SELECT lpep_pickup_datetime AS pickup, lpep_dropoff_datetime AS dropoff, PULocationID AS pu, DOLocationID AS "do" FROM read_parquet($1)', [file]),
  );
  return rows.map((row) => ({
    pu: Number(row.pu),
    do: Number(row.do),
    // timedelta in µs → total_seconds (÷ 1e6) → minutes (÷ 60), as pandas does.
    duration: Number((row.dropoff as DuckDBTimestampValue).micros - (row.pickup as DuckDBTimestampValue).micros) / 1e6 / 60,
  }));
}

function expectedVocabulary(trips: readonly { pu: number; do: number }[]): string[] {
  const names = new Set(trips.flatMap((t) => [`PULocationID=${t.pu}`, `DOLocationID=${t.do}`]));
  return [...names].sort();
}

function isKept(duration: number): boolean {
  return duration >= 1 && duration <= 60;
}

const relativeClose = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);

let workDir = '';
before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'features-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

void describe('buildMonthStatistics on real green files', { skip: sharedMissing }, () => {
  for (const month of ['2023-02', '2023-03']) {
    void it(`matches an independent computation for green ${month}`, async () => {
      const file = join(sharedTlc, `green_tripdata_${month}.parquet`);
      const outputPath = join(workDir, `green-${month}.arrow`);
      const features = await buildMonthStatistics({ tripFile: file, outputPath });

      const metadataRows = await withDuckDb((run) => run('SELECT sum(num_rows)::BIGINT AS n FROM parquet_file_metadata($1)', [file]));
      assert.equal(features.rowsRead, Number(metadataRows[0]!.n));

      const trips = await rawTrips(file);
      assert.equal(trips.length, features.rowsRead);
      const kept = trips.filter((t) => isKept(t.duration));
      assert.equal(features.rowsKept, kept.length);
      assert.equal(features.fractionKept, kept.length / trips.length);
      assert.deepEqual(features.vocabulary, expectedVocabulary(kept));
      assert.equal(features.nFeatures, features.vocabulary.length);
      assert.equal(features.rowsWithNullLocation, 0);

      const mean = trips.reduce((s, t) => s + t.duration, 0) / trips.length;
      const variance = trips.reduce((s, t) => s + (t.duration - mean) ** 2, 0) / (trips.length - 1);
      relativeClose(features.durationMean, mean, 1e-9);
      relativeClose(features.durationStd, Math.sqrt(variance), 1e-9);

      // The artifact holds the per-pair statistics of the kept rows.
      const stats = await readPairStatistics(features.statsPath);
      assert.equal(stats.rowsRead, features.rowsRead);
      const byPair = new Map<string, RawTrip[]>();
      for (const t of kept) byPair.set(`${t.pu},${t.do}`, [...(byPair.get(`${t.pu},${t.do}`) ?? []), t]);
      assert.equal(stats.pu.length, byPair.size);
      assert.equal(features.nPairs, byPair.size);
      for (let i = 0; i < stats.pu.length; i++) {
        const group = byPair.get(`${stats.pu[i]},${stats.do[i]}`);
        assert.ok(group, `pair ${stats.pu[i]},${stats.do[i]} is not in the raw data`);
        const pairMean = group.reduce((s, t) => s + t.duration, 0) / group.length;
        assert.equal(stats.count[i], group.length);
        relativeClose(stats.sumY[i]!, group.reduce((s, t) => s + t.duration, 0), 1e-12);
        relativeClose(stats.sumY2[i]!, group.reduce((s, t) => s + t.duration ** 2, 0), 1e-12);
        relativeClose(stats.m2[i]!, group.reduce((s, t) => s + (t.duration - pairMean) ** 2, 0), 1e-8);
      }
      assert.match(features.statsSha256, /^[0-9a-f]{64}$/);
      assert.equal(features.statsSha256, createHash('sha256').update(await readFile(features.statsPath)).digest('hex'), 'the sha256 of the file on disk');
    });
  }
});

const MICROS_PER_MINUTE = 60_000_000n;
const start = 1_678_000_000_000_000n; // some µs timestamp in March 2023

function tripOf(micros: bigint, pu: number, dropoff: number, unit: 'us' | 'ns'): FixtureTrip {
  const scale = unit === 'ns' ? 1000n : 1n;
  return { pickup: start * scale, dropoff: start * scale + micros * scale, pu, do: dropoff };
}

void describe('buildMonthStatistics on fabricated files', () => {
  // Each boundary case gets its own pickup zone, so the vocabulary shows which rows were kept.
  const cases: { micros: bigint; pu: number }[] = [
    { micros: MICROS_PER_MINUTE, pu: 101 }, // exactly 1.0 minute: kept
    { micros: 60n * MICROS_PER_MINUTE, pu: 102 }, // exactly 60.0 minutes: kept
    { micros: MICROS_PER_MINUTE - 1n, pu: 103 }, // just under 1 minute: dropped
    { micros: 60n * MICROS_PER_MINUTE + 1n, pu: 104 }, // just over 60 minutes: dropped
    { micros: 30n * MICROS_PER_MINUTE, pu: 105 },
    { micros: -5n * MICROS_PER_MINUTE, pu: 106 }, // negative duration: dropped
    { micros: 12n * MICROS_PER_MINUTE + 345_678n, pu: 7 },
  ];

  for (const layout of [
    { prefix: 'tpep', unit: 'us', idType: 'BIGINT' },
    { prefix: 'lpep', unit: 'ns', idType: 'INTEGER' },
  ] as const) {
    void it(`keeps 1.0 and 60.0 minutes inclusive (${layout.prefix}_, ${layout.unit}, ${layout.idType} ids)`, async () => {
      const trips = cases.map((c, i) => tripOf(c.micros, c.pu, 200 + i, layout.unit));
      const file = join(workDir, `boundary-${layout.prefix}-${layout.unit}.parquet`);
      await writeTripParquet(file, trips, layout);
      const features = await buildMonthStatistics({ tripFile: file, outputPath: join(workDir, `boundary-${layout.unit}.arrow`) });
      const kept = cases.map((c, i) => ({ ...c, do: 200 + i })).filter((c) => isKept(Number(c.micros) / 1e6 / 60));
      assert.equal(features.rowsRead, cases.length);
      assert.equal(features.rowsKept, kept.length);
      assert.deepEqual(features.vocabulary, expectedVocabulary(kept));
      assert.ok(features.vocabulary.includes('PULocationID=101') && features.vocabulary.includes('PULocationID=102'));
      const stats = await readPairStatistics(features.statsPath);
      const durations = kept.map((c) => Number(c.micros) / 1e6 / 60);
      relativeClose(stats.sumY.reduce((s, v) => s + v, 0), durations.reduce((s, v) => s + v, 0), 1e-14);
    });
  }

  void it('drops a nanosecond-file trip that is one nanosecond short of a minute (no truncation to µs)', async () => {
    const file = join(workDir, 'nanos.parquet');
    const oneMinuteNs = 60_000_000_000n;
    await writeTripParquet(
      file,
      [
        // Truncating both ends to µs would make this exactly one minute.
        { pickup: start * 1000n + 1n, dropoff: start * 1000n + oneMinuteNs, pu: 1, do: 2 },
        { pickup: start * 1000n, dropoff: start * 1000n + oneMinuteNs, pu: 3, do: 4 },
      ],
      { prefix: 'tpep', unit: 'ns', idType: 'BIGINT' },
    );
    const features = await buildMonthStatistics({ tripFile: file, outputPath: join(workDir, 'nanos.arrow') });
    assert.deepEqual(features.vocabulary, ['DOLocationID=4', 'PULocationID=3']);
  });

  void it('reports kept rows with a null location id and leaves them out of the statistics', async () => {
    const file = join(workDir, 'null-ids.parquet');
    const trips = [tripOf(5n * MICROS_PER_MINUTE, 1, 2, 'us'), { ...tripOf(5n * MICROS_PER_MINUTE, 1, 2, 'us'), pu: null }];
    await writeTripParquet(file, trips, { prefix: 'tpep', unit: 'us', idType: 'BIGINT' });
    const features = await buildMonthStatistics({ tripFile: file, outputPath: join(workDir, 'null-ids.arrow') });
    assert.equal(features.rowsKept, 2);
    assert.equal(features.rowsWithNullLocation, 1);
    assert.equal(features.nPairs, 1);
  });

  void it('fails with empty_dataset when no trip lasts 1..60 minutes', async () => {
    const file = join(workDir, 'empty.parquet');
    await writeTripParquet(file, [tripOf(61n * MICROS_PER_MINUTE, 1, 2, 'us'), tripOf(10n, 3, 4, 'us')], { prefix: 'tpep', unit: 'us', idType: 'BIGINT' });
    const outputPath = join(workDir, 'empty.arrow');
    await assert.rejects(buildMonthStatistics({ tripFile: file, outputPath }), (e) => isPipelineError(e) && e.code === 'empty_dataset' && e.message.includes(file));
  });

  void it('fails with invalid_schema when a required column is missing', async () => {
    const file = join(workDir, 'no-dropoff-zone.parquet');
    await withDuckDb(async (run) => {
      await run('COPY (SELECT TIMESTAMP \'2023-03-01 00:00:00\' AS tpep_pickup_datetime, TIMESTAMP \'2023-03-01 00:10:00\' AS tpep_dropoff_datetime, 1 AS PULocationID) TO $1 (FORMAT parquet)', [file]);
    });
    await assert.rejects(
      buildMonthStatistics({ tripFile: file, outputPath: join(workDir, 'x.arrow') }),
      (e) => isPipelineError(e) && e.code === 'invalid_schema' && e.message.includes('DOLocationID'),
    );
  });

  void it('fails with not_found for a missing file and invalid_file for a non-parquet file', async () => {
    await assert.rejects(
      buildMonthStatistics({ tripFile: join(workDir, 'absent.parquet'), outputPath: join(workDir, 'y.arrow') }),
      (e) => isPipelineError(e) && e.code === 'not_found',
    );
    const text = join(workDir, 'text.parquet');
    await writeFile(text, 'hello, not parquet');
    await assert.rejects(buildMonthStatistics({ tripFile: text, outputPath: join(workDir, 'z.arrow') }), (e) => isPipelineError(e) && e.code === 'invalid_file');
  });
});
