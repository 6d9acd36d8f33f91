import { stat } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { PipelineError, isPipelineError } from '@taxi-mlops/contracts';
import { inSpan, STAGE_ATTRIBUTES } from '@taxi-mlops/tracing';
import { type PairStatistics, vocabularyOf, writePairStatistics } from '@taxi-mlops/pair-stats';
import { pairsQuery, SCHEMA_QUERY, totalsQuery, unitsPerMinute } from './statistics-sql';
import { detectTripLayout, type TripLayout } from './trip-schema';

export interface MonthStatisticsRequest {
  tripFile: string;
  outputPath: string;
  /** Inclusive lower bound of the kept durations, minutes (default 1). */
  minMinutes?: number;
  /** Inclusive upper bound, minutes (default 60). */
  maxMinutes?: number;
}

export interface MonthFeatures {
  rowsRead: number;
  /** Rows with minMinutes ≤ duration ≤ maxMinutes (the homework's len(df) after read_dataframe). */
  rowsKept: number;
  fractionKept: number;
  /** Mean of the duration over all rows, before filtering (NaN durations skipped, like pandas). */
  durationMean: number;
  /** Sample standard deviation (pandas ddof=1) of the duration before filtering. */
  durationStd: number;
  /** DictVectorizer feature names, sorted as strings. */
  vocabulary: string[];
  nFeatures: number;
  nPairs: number;
  /**
   * Kept rows whose PULocationID or DOLocationID is null. They are counted in rowsKept but left out
   * of the statistics and the vocabulary. (pandas would turn the whole id column into float64, so
   * DictVectorizer would name features "PULocationID=161.0" and "PULocationID=nan"; the TLC files
   * checked have no null ids, so this is reported rather than imitated.)
   */
  rowsWithNullLocation: number;
  statsPath: string;
  statsSha256: string;
}

interface QueryOutcome {
  stats: PairStatistics;
  rowsKept: number;
  durationMean: number;
  durationStd: number;
  rowsWithNullLocation: number;
}

export async function buildMonthStatistics(request: MonthStatisticsRequest): Promise<MonthFeatures> {
  const { tripFile, outputPath } = request;
  const minMinutes = request.minMinutes ?? 1;
  const maxMinutes = request.maxMinutes ?? 60;
  if (!Number.isFinite(minMinutes) || !Number.isFinite(maxMinutes) || minMinutes > maxMinutes) {
    throw new PipelineError('invalid_request', `duration bounds must be finite with min ≤ max, got ${minMinutes}..${maxMinutes}`);
  }
  await assertReadableFile(tripFile);

  const outcome = await inSpan('duckdb statistics query', { 'db.system.name': 'duckdb' }, async (span) => {
    const result = await queryStatistics(tripFile, minMinutes, maxMinutes);
    span.setAttributes({ [STAGE_ATTRIBUTES.rowsRead]: result.stats.rowsRead, [STAGE_ATTRIBUTES.rowsKept]: result.rowsKept, [STAGE_ATTRIBUTES.pairs]: result.stats.pu.length });
    return result;
  });
  const { stats } = outcome;
  if (outcome.rowsKept === 0 || stats.pu.length === 0) {
    throw new PipelineError('empty_dataset', `${tripFile}: no trip of ${minMinutes}..${maxMinutes} minutes with both location ids`);
  }
  stats.metadata = { source: tripFile, min_minutes: String(minMinutes), max_minutes: String(maxMinutes) };
  const { sha256: statsSha256 } = await writePairStatistics(outputPath, stats);
  const vocabulary = vocabularyOf(stats);
  return {
    rowsRead: stats.rowsRead,
    rowsKept: outcome.rowsKept,
    fractionKept: outcome.rowsKept / stats.rowsRead,
    durationMean: outcome.durationMean,
    durationStd: outcome.durationStd,
    vocabulary,
    nFeatures: vocabulary.length,
    nPairs: stats.pu.length,
    rowsWithNullLocation: outcome.rowsWithNullLocation,
    statsPath: outputPath,
    statsSha256,
  };
}

async function assertReadableFile(path: string): Promise<void> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new PipelineError('invalid_file', `${path}: not a regular file`);
  } catch (cause) {
    if (isPipelineError(cause)) throw cause;
    throw new PipelineError('not_found', `${path}: trip file not found`, { cause });
  }
}

async function queryStatistics(tripFile: string, minMinutes: number, maxMinutes: number): Promise<QueryOutcome> {
  // Every core: the sums are exact integers, so the result does not depend on the thread order.
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const layout = detectTripLayout(await parquetColumns(connection, tripFile), tripFile);
    const pairs = await runOrExplain(tripFile, () => connection.runAndReadAll(pairsQuery(layout), [tripFile, minMinutes, maxMinutes]));
    const totals = await runOrExplain(tripFile, () => connection.runAndReadAll(totalsQuery(layout), [tripFile]));
    return collect(pairs.getColumnsObject(), totals.getRowObjects()[0], layout);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function parquetColumns(connection: DuckDBConnection, tripFile: string) {
  const reader = await runOrExplain(tripFile, () => connection.runAndReadAll(SCHEMA_QUERY, [tripFile]));
  const types = reader.columnTypes();
  return reader.columnNames().map((name, i) => ({ name, type: String(types[i]) }));
}

/** DuckDB errors become pipeline errors: unreadable parquet, or ids that do not fit INTEGER. */
async function runOrExplain<T>(tripFile: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    const text = String(cause instanceof Error ? cause.message : cause).split('\n')[0] ?? '';
    const code = /Conversion Error/i.test(text) ? 'invalid_schema' : 'invalid_file';
    throw new PipelineError(code, `${tripFile}: ${text}`, { cause });
  }
}

type Columns = Record<string, DuckDBValue[]>;

function collect(pairs: Columns, total: Record<string, DuckDBValue> | undefined, layout: TripLayout): QueryOutcome {
  if (!total) throw new PipelineError('internal', 'statistics totals query returned no row');
  const [pu = [], dropoff = [], n = [], sumD = [], sumD2 = []] = ['pu', 'dropoff', 'n', 'sum_d', 'sum_d2'].map((name) => pairs[name]);
  const keep: number[] = [];
  let rowsKept = 0;
  let rowsWithNullLocation = 0;
  for (let i = 0; i < n.length; i++) {
    const count = Number(n[i]);
    rowsKept += count;
    if (pu[i] === null || dropoff[i] === null) rowsWithNullLocation += count;
    else keep.push(i);
  }
  const perMinute = unitsPerMinute(layout);
  const perMinute2 = perMinute * perMinute;
  const stats: PairStatistics = {
    pu: Int32Array.from(keep, (i) => Number(pu[i])),
    do: Int32Array.from(keep, (i) => Number(dropoff[i])),
    count: Float64Array.from(keep, (i) => Number(n[i])),
    sumY: Float64Array.from(keep, (i) => Number(sumD[i]) / perMinute),
    sumY2: Float64Array.from(keep, (i) => Number(sumD2[i]) / perMinute2),
    // m2 = Σ(y - ȳ)² = (n·Σd² - (Σd)²) / n, exact in integers before the one rounding.
    m2: Float64Array.from(keep, (i) => {
      const count = BigInt(n[i] as bigint);
      const s = sumD[i] as bigint;
      return Number(count * (sumD2[i] as bigint) - s * s) / Number(count) / perMinute2;
    }),
    rowsRead: Number(total.rows_all),
    metadata: {},
  };
  return {
    stats,
    rowsKept,
    // An empty file has no mean; NaN is what pandas reports too.
    durationMean: total.mean_all === null ? Number.NaN : Number(total.mean_all),
    durationStd: total.std_all === null ? Number.NaN : Number(total.std_all),
    rowsWithNullLocation,
  };
}
