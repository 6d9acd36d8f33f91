import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { ParquetColumn } from './validate';

/** What `<file>.json` records about a validated cache entry. */
export interface Sidecar {
  sha256: string;
  bytes: number;
  rows: number;
  sourceUrl: string;
  pickupColumn: string;
  dropoffColumn: string;
  columns: ParquetColumn[];
  validatedAt: string;
}

export function sidecarPath(dataPath: string): string {
  return `${dataPath}.json`;
}

/**
 * The sidecar of a cache entry that can be used as is: present, well formed, fetched from
 * `sourceUrl`, and describing a data file of exactly the recorded size. Anything else → undefined.
 */
export async function readValidSidecar(dataPath: string, sourceUrl: string): Promise<Sidecar | undefined> {
  let sidecar: unknown;
  try {
    sidecar = JSON.parse(await readFile(sidecarPath(dataPath), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isSidecar(sidecar) || sidecar.sourceUrl !== sourceUrl) return undefined;
  try {
    return (await stat(dataPath)).size === sidecar.bytes ? sidecar : undefined;
  } catch {
    return undefined;
  }
}

/** Written via a temporary file and rename, so a reader never sees half a sidecar. */
export async function writeSidecar(dataPath: string, sidecar: Sidecar): Promise<void> {
  const target = sidecarPath(dataPath);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(sidecar, null, 2)}\n`);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function removeSidecar(dataPath: string): Promise<void> {
  await rm(sidecarPath(dataPath), { force: true });
}

function isSidecar(value: unknown): value is Sidecar {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(record.sha256) &&
    Number.isSafeInteger(record.bytes) &&
    Number.isSafeInteger(record.rows) &&
    typeof record.sourceUrl === 'string' &&
    typeof record.pickupColumn === 'string' &&
    typeof record.dropoffColumn === 'string' &&
    Array.isArray(record.columns) &&
    typeof record.validatedAt === 'string'
  );
}
