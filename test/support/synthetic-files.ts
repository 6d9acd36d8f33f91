// Small synthetic trip files, made at test time, that cover the parquet variants the TLC has shipped.
import { join } from 'node:path';
import { generateTripFile } from '@taxi-mlops/synthetic';

export interface SyntheticCase {
  name: string;
  /** Heavily skewed zones leave rare-zone directions where sklearn's LSQR stops far from the optimum. */
  skewed: boolean;
  make(dir: string): Promise<string>;
}

export const syntheticCases: SyntheticCase[] = [
  {
    name: 'yellow, INT32 ids, ZSTD',
    skewed: false,
    make: async (dir) =>
      (await generateTripFile({ path: join(dir, 'yellow_tripdata_2023-03.parquet'), taxi: 'yellow', rows: 60_000, seed: 11, year: 2023, month: 3, idType: 'int32', codec: 'zstd' })).path,
  },
  {
    name: 'green, INT64 ids, SNAPPY, parquet v2',
    skewed: false,
    make: async (dir) =>
      (await generateTripFile({ path: join(dir, 'green_tripdata_2021-02.parquet'), taxi: 'green', rows: 40_000, seed: 12, year: 2021, month: 2, idType: 'int64', codec: 'snappy', parquetVersion: 'v2' })).path,
  },
  {
    name: 'yellow, heavily skewed zones',
    skewed: true,
    make: async (dir) =>
      (await generateTripFile({ path: join(dir, 'yellow_tripdata_2022-07.parquet'), taxi: 'yellow', rows: 150_000, seed: 13, year: 2022, month: 7, zoneSkew: 2 })).path,
  },
];
