import { PipelineError } from '@taxi-mlops/contracts';

/** Yellow files name the timestamps tpep_*, green files lpep_*. */
export type TimestampPrefix = 'tpep' | 'lpep';
/** epoch_us is exact for s/ms/µs timestamps; nanosecond files need epoch_ns to keep sub-µs parts. */
export type TimestampUnit = 'us' | 'ns';

export interface TripLayout {
  prefix: TimestampPrefix;
  unit: TimestampUnit;
}

export interface ParquetColumn {
  name: string;
  /** DuckDB's type name, e.g. INTEGER, BIGINT, TIMESTAMP, TIMESTAMP_NS. */
  type: string;
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'HUGEINT']);
const TIMESTAMP_TYPES = new Set(['TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS']);

/**
 * Picks the fixed query variant from the parquet schema. Column names are only ever compared
 * against constants here; they never reach SQL text.
 */
export function detectTripLayout(columns: readonly ParquetColumn[], file: string): TripLayout {
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  for (const id of ['PULocationID', 'DOLocationID']) {
    const type = typeOf.get(id);
    if (type === undefined) throw new PipelineError('invalid_schema', `${file}: column ${id} is missing`);
    if (!INTEGER_TYPES.has(type)) throw new PipelineError('invalid_schema', `${file}: column ${id} has type ${type}, expected an integer`);
  }
  const prefixes = (['tpep', 'lpep'] as const).filter(
    (prefix) => typeOf.has(`${prefix}_pickup_datetime`) && typeOf.has(`${prefix}_dropoff_datetime`),
  );
  const prefix = prefixes[0];
  if (prefix === undefined || prefixes.length > 1) {
    const problem = prefix === undefined ? 'no' : 'both';
    throw new PipelineError('invalid_schema', `${file}: ${problem} tpep_/lpep_ pickup and dropoff datetime columns`);
  }
  const types = [typeOf.get(`${prefix}_pickup_datetime`)!, typeOf.get(`${prefix}_dropoff_datetime`)!];
  for (const [index, type] of types.entries()) {
    if (!TIMESTAMP_TYPES.has(type)) {
      const name = `${prefix}_${index === 0 ? 'pickup' : 'dropoff'}_datetime`;
      throw new PipelineError('invalid_schema', `${file}: column ${name} has type ${type}, expected a timestamp`);
    }
  }
  return { prefix, unit: types.includes('TIMESTAMP_NS') ? 'ns' : 'us' };
}
