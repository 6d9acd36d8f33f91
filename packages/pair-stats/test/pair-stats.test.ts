import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPipelineError } from '@taxi-mlops/contracts';
import type { PairStatistics } from '../src/index';
import { mergePairStatistics, readPairStatistics, rowsKept, vocabularyOf, writePairStatistics } from '../src/index';

interface Trip {
  pu: number;
  do: number;
  y: number;
}

/** Small deterministic generator so failures reproduce. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomTrips(count: number, seed: number): Trip[] {
  const next = lcg(seed);
  return Array.from({ length: count }, () => ({
    pu: 1 + Math.floor(next() * 12),
    do: 1 + Math.floor(next() * 15),
    y: 1 + next() * 59,
  }));
}

/** Statistics straight from the definition, two passes per pair (independent of the merge code). */
function bruteForceStatistics(trips: readonly Trip[], rowsRead: number): PairStatistics {
  const groups = new Map<string, Trip[]>();
  for (const trip of trips) {
    const key = `${trip.pu},${trip.do}`;
    groups.set(key, [...(groups.get(key) ?? []), trip]);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [pa, da] = a.split(',').map(Number) as [number, number];
    const [pb, db] = b.split(',').map(Number) as [number, number];
    return pa - pb || da - db;
  });
  const rows = keys.map((key) => {
    const group = groups.get(key)!;
    const mean = group.reduce((s, t) => s + t.y, 0) / group.length;
    return {
      pu: group[0]!.pu,
      do: group[0]!.do,
      count: group.length,
      sumY: group.reduce((s, t) => s + t.y, 0),
      sumY2: group.reduce((s, t) => s + t.y * t.y, 0),
      m2: group.reduce((s, t) => s + (t.y - mean) ** 2, 0),
    };
  });
  return {
    pu: Int32Array.from(rows, (r) => r.pu),
    do: Int32Array.from(rows, (r) => r.do),
    count: Float64Array.from(rows, (r) => r.count),
    sumY: Float64Array.from(rows, (r) => r.sumY),
    sumY2: Float64Array.from(rows, (r) => r.sumY2),
    m2: Float64Array.from(rows, (r) => r.m2),
    rowsRead,
    metadata: {},
  };
}

function assertClose(actual: Float64Array, expected: Float64Array, relative: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]!));
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= relative * scale, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

void describe('pair statistics artifact', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pair-stats-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('round-trips every column, rowsRead and metadata bit for bit, leaving no temp file', async () => {
    const stats = bruteForceStatistics(randomTrips(500, 1), 537);
    stats.metadata = { source: '/data/green_tripdata_2023-03.parquet', min_minutes: '1' };
    const path = join(dir, 'round-trip.arrow');
    await writePairStatistics(path, stats);
    const read = await readPairStatistics(path);
    assert.deepEqual(read, stats);
    assert.deepEqual(await readdir(dir), ['round-trip.arrow']);
  });

  void it('round-trips an empty set of pairs', async () => {
    const stats = bruteForceStatistics([], 0);
    const path = join(dir, 'empty.arrow');
    await writePairStatistics(path, stats);
    assert.deepEqual(await readPairStatistics(path), stats);
  });

  void it('rejects a file that is not a statistics artifact, and a missing one', async () => {
    const path = join(dir, 'garbage.arrow');
    await writeFile(path, 'not arrow at all');
    await assert.rejects(readPairStatistics(path), (e) => isPipelineError(e) && e.code === 'invalid_file');
    await assert.rejects(readPairStatistics(join(dir, 'missing.arrow')), (e) => isPipelineError(e) && e.code === 'artifact_missing');
  });
});

void describe('mergePairStatistics', () => {
  void it('equals the statistics of the concatenated months', () => {
    const march = randomTrips(800, 2);
    const april = randomTrips(300, 3);
    const may = randomTrips(50, 4);
    const merged = mergePairStatistics([
      bruteForceStatistics(march, 810),
      bruteForceStatistics(april, 300),
      bruteForceStatistics(may, 51),
    ]);
    const expected = bruteForceStatistics([...march, ...april, ...may], 810 + 300 + 51);
    assert.deepEqual(merged.pu, expected.pu);
    assert.deepEqual(merged.do, expected.do);
    assert.deepEqual(merged.count, expected.count);
    assert.equal(merged.rowsRead, expected.rowsRead);
    assert.equal(rowsKept(merged), march.length + april.length + may.length);
    assertClose(merged.sumY, expected.sumY, 1e-12);
    assertClose(merged.sumY2, expected.sumY2, 1e-12);
    assertClose(merged.m2, expected.m2, 1e-10);
  });

  void it('of a single month is that month', () => {
    const stats = bruteForceStatistics(randomTrips(200, 5), 200);
    const merged = mergePairStatistics([stats]);
    assert.deepEqual({ ...merged, metadata: {} }, stats);
  });
});

void describe('vocabularyOf', () => {
  void it('names every seen id once, DO before PU, sorted as strings', () => {
    const stats = bruteForceStatistics(
      [
        { pu: 2, do: 10, y: 5 },
        { pu: 100, do: 2, y: 5 },
        { pu: 11, do: 1, y: 5 },
        { pu: 2, do: 1, y: 5 },
      ],
      4,
    );
    assert.deepEqual(vocabularyOf(stats), [
      'DOLocationID=1',
      'DOLocationID=10',
      'DOLocationID=2',
      'PULocationID=100',
      'PULocationID=11',
      'PULocationID=2',
    ]);
  });
});
