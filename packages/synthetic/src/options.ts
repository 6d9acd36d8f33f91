import { PipelineError } from '@taxi-mlops/contracts';

export const synthTaxiTypes = ['yellow', 'green'] as const;
export type SynthTaxi = (typeof synthTaxiTypes)[number];

/** `int32`: the 2023-02+ layout (INT32 ids, INT64 counts); `int64`: the 2021–2023-01 layout (INT64 ids, DOUBLE counts). */
export const idTypes = ['int32', 'int64'] as const;
export type IdType = (typeof idTypes)[number];

export const codecs = ['zstd', 'snappy', 'gzip', 'uncompressed'] as const;
export type Codec = (typeof codecs)[number];

export const parquetVersions = ['v1', 'v2'] as const;
export type ParquetVersion = (typeof parquetVersions)[number];

export interface GenerateOptions {
  path: string;
  taxi: SynthTaxi;
  rows: number;
  seed: number;
  year: number;
  month: number;
  idType?: IdType;
  codec?: Codec;
  /** Zipf exponent of zone popularity: 0 = uniform, 0.7 (default) ≈ the real skew (top zone ≈ 5% of trips), larger = more concentrated. */
  zoneSkew?: number;
  /** Parquet format version written (default v1, like most real files; 2023-03 green is v2). */
  parquetVersion?: ParquetVersion;
}

export type ResolvedOptions = Required<GenerateOptions>;

export const defaultZoneSkew = 0.7;

/** Rejects options that would produce a file unlike any TLC month, naming the field. */
export function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    idType: 'int32',
    codec: 'zstd',
    zoneSkew: defaultZoneSkew,
    parquetVersion: 'v1',
    ...definedOnly(options),
  };
  const { path, taxi, rows, seed, year, month, idType, codec, zoneSkew, parquetVersion } = resolved;
  if (typeof path !== 'string' || path.trim() === '') throw invalid('path', 'must be a non-empty file path');
  oneOf('taxi', taxi, synthTaxiTypes);
  oneOf('idType', idType, idTypes);
  oneOf('codec', codec, codecs);
  oneOf('parquetVersion', parquetVersion, parquetVersions);
  if (!Number.isSafeInteger(rows) || rows < 0) throw invalid('rows', `${String(rows)} is not a non-negative integer`);
  if (!Number.isSafeInteger(seed)) throw invalid('seed', `${String(seed)} is not an integer`);
  if (!Number.isInteger(year) || year < 2009 || year > 2100) throw invalid('year', `${String(year)} is not a year in 2009..2100`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw invalid('month', `${String(month)} is not a month (1..12)`);
  if (!Number.isFinite(zoneSkew) || zoneSkew < 0 || zoneSkew > 10) throw invalid('zoneSkew', `${String(zoneSkew)} is not in 0..10`);
  return resolved;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw invalid(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function invalid(field: string, what: string): PipelineError {
  return new PipelineError('invalid_request', `${field}: ${what}`);
}
