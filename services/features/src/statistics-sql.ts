import type { TimestampPrefix, TimestampUnit, TripLayout } from './trip-schema';

/**
 * The fixed statistics queries, one pair per (timestamp prefix, timestamp unit), built once from
 * constants only; the file path and the duration bounds are bound parameters ($1 path, $2 min
 * minutes, $3 max minutes).
 *
 * The duration mirrors pandas: an exact integer difference in the file's unit, divided by units
 * per second (total_seconds), then by 60, in float64 — that float decides which rows are kept.
 * The per-pair sums are taken over the exact integer differences (HUGEINT), so they are exact and
 * the same whatever the thread order: DuckDB may use every core and the artifact stays
 * byte-identical run to run. Kept durations are at most an hour, so Σd² fits a HUGEINT easily.
 */
function tripsCte(prefix: TimestampPrefix, unit: TimestampUnit): string {
  const epoch = unit === 'ns' ? 'epoch_ns' : 'epoch_us';
  const perSecond = unit === 'ns' ? '1e9' : '1e6';
  return `
WITH raw AS (
  SELECT
    PULocationID AS pu,
    DOLocationID AS dropoff,
    ${epoch}(${prefix}_dropoff_datetime) - ${epoch}(${prefix}_pickup_datetime) AS d
  FROM read_parquet($1)
),
trips AS (SELECT pu, dropoff, d, d / ${perSecond} / 60 AS duration FROM raw)`;
}

/** Kept rows per (PU, DO): count, Σd and Σd² in the file's time unit, exact. */
function pairsSql(prefix: TimestampPrefix, unit: TimestampUnit): string {
  return `${tripsCte(prefix, unit)}
SELECT
  pu::INTEGER AS pu,
  dropoff::INTEGER AS dropoff,
  count(*) AS n,
  sum(d)::HUGEINT AS sum_d,
  sum(d::HUGEINT * d) AS sum_d2
FROM trips
WHERE duration >= $2 AND duration <= $3
GROUP BY pu, dropoff
ORDER BY pu, dropoff`;
}

/** Every row, before filtering: the count, and pandas' mean and sample std (NaN skipped). */
function totalsSql(prefix: TimestampPrefix, unit: TimestampUnit): string {
  return `${tripsCte(prefix, unit)}
SELECT count(*) AS rows_all, avg(duration)::DOUBLE AS mean_all, stddev_samp(duration)::DOUBLE AS std_all
FROM trips`;
}

type LayoutKey = `${TimestampPrefix}/${TimestampUnit}`;
const layouts: Array<[TimestampPrefix, TimestampUnit]> = [['tpep', 'us'], ['tpep', 'ns'], ['lpep', 'us'], ['lpep', 'ns']];
const PAIRS = Object.fromEntries(layouts.map(([p, u]) => [`${p}/${u}`, pairsSql(p, u)])) as Record<LayoutKey, string>;
const TOTALS = Object.fromEntries(layouts.map(([p, u]) => [`${p}/${u}`, totalsSql(p, u)])) as Record<LayoutKey, string>;

export function pairsQuery(layout: TripLayout): string {
  return PAIRS[`${layout.prefix}/${layout.unit}`];
}

export function totalsQuery(layout: TripLayout): string {
  return TOTALS[`${layout.prefix}/${layout.unit}`];
}

/** Units of the integer difference per minute: durations in minutes are d / unitsPerMinute. */
export function unitsPerMinute(layout: TripLayout): number {
  return layout.unit === 'ns' ? 60e9 : 60e6;
}

/** Reads no rows: the result's column names and types are the parquet schema. */
export const SCHEMA_QUERY = 'SELECT * FROM read_parquet($1) LIMIT 0';
