// The read-only real TLC files in ../shared/data/tlc, when that folder is there.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from './python';

export const realDataDir = resolve(repoRoot, '..', 'shared', 'data', 'tlc');

export const realDataMissing = existsSync(realDataDir)
  ? false
  : `real TLC data not found at ${realDataDir} (../shared relative to the repo root); skipping real-file checks`;

export interface RealTripFile {
  path: string;
  name: string;
  /** The next calendar month's file of the same taxi type, when present (used as validation month). */
  nextMonthPath: string | undefined;
}

export function realTripFiles(): RealTripFile[] {
  if (realDataMissing) return [];
  const names = readdirSync(realDataDir).filter((name) => name.endsWith('.parquet')).sort();
  return names.map((name) => {
    const next = nextMonthName(name);
    return {
      path: resolve(realDataDir, name),
      name,
      nextMonthPath: next && names.includes(next) ? resolve(realDataDir, next) : undefined,
    };
  });
}

function nextMonthName(name: string): string | undefined {
  const match = /^(\w+)_tripdata_(\d{4})-(\d{2})\.parquet$/.exec(name);
  if (!match) return undefined;
  const [, taxi, year, month] = match;
  const index = Number(year) * 12 + Number(month) - 1 + 1;
  const nextYear = Math.floor(index / 12);
  const nextMonth = String((index % 12) + 1).padStart(2, '0');
  return `${taxi}_tripdata_${nextYear}-${nextMonth}.parquet`;
}
