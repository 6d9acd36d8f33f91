import type { TimestampPrefix, TimestampUnit, TripLayout } from './trip-schema';

/**
 * The four fixed statistics queries, one per (timestamp prefix, timestamp unit). They are
 * built once from constants only; the file path and the duration bounds are bound parameters
 * ($1 path, $2 min minutes, $3 max minutes).
 *
 * duration mirrors pandas: an exact integer difference in the file's unit, divided by units per
 * second (total_seconds), then by 60, all in float64. One pass with GROUPING SETS yields the
 * per-pair sufficient statistics of the kept rows plus a grand-total row (level 3) for
 * rows read and the mean/std of the duration before filtering (pandas: ddof=1, NaN skipped).
 * fsum (compensated summation) keeps the sums accurate and nearly independent of thread order.
 */
function statisticsSql(prefix: TimestampPrefix, unit: TimestampUnit): string {
  const epoch = unit === 'ns' ? 'epoch_ns' : 'epoch_us';
  const perSecond = unit === 'ns' ? '1e9' : '1e6';
  return `
WITH trips AS (
  SELECT
    PULocationID AS pu,
    DOLocationID AS dropoff,
    (${epoch}(${prefix}_dropoff_datetime) - ${epoch}(${prefix}_pickup_datetime)) / ${perSecond} / 60 AS duration
  FROM read_parquet($1)
),
marked AS (
  SELECT pu, dropoff, duration, duration >= $2 AND duration <= $3 AS kept FROM trips
)
SELECT
  GROUPING(pu, dropoff)::INTEGER AS level,
  pu::INTEGER AS pu,
  dropoff::INTEGER AS dropoff,
  count(*)::DOUBLE AS rows_all,
  count(*) FILTER (WHERE kept)::DOUBLE AS n,
  coalesce(fsum(duration) FILTER (WHERE kept), 0)::DOUBLE AS sum_y,
  coalesce(fsum(duration * duration) FILTER (WHERE kept), 0)::DOUBLE AS sum_y2,
  coalesce(var_pop(duration) FILTER (WHERE kept) * count(*) FILTER (WHERE kept), 0)::DOUBLE AS m2,
  avg(duration)::DOUBLE AS mean_all,
  stddev_samp(duration)::DOUBLE AS std_all
FROM marked
GROUP BY GROUPING SETS ((pu, dropoff), ())
ORDER BY level, pu, dropoff`;
}

const QUERIES: Record<`${TimestampPrefix}/${TimestampUnit}`, string> = {
  'tpep/us': statisticsSql('tpep', 'us'),
  'tpep/ns': statisticsSql('tpep', 'ns'),
  'lpep/us': statisticsSql('lpep', 'us'),
  'lpep/ns': statisticsSql('lpep', 'ns'),
};

export function statisticsQuery(layout: TripLayout): string {
  return QUERIES[`${layout.prefix}/${layout.unit}`];
}

/** Reads no rows: the result's column names and types are the parquet schema. */
export const SCHEMA_QUERY = 'SELECT * FROM read_parquet($1) LIMIT 0';
