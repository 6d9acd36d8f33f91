import { createHash, randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Float64, Int32, Schema, Table, makeTable, tableFromIPC, tableToIPC } from 'apache-arrow';
import type { DataType, Field, Vector } from 'apache-arrow';
import { PipelineError } from '@taxi-mlops/contracts';
import type { PairStatistics } from './types';

/** Schema metadata keys. Version the layout so an old artifact is rejected, not misread. */
const FORMAT_KEY = 'taxi-mlops.pair-stats.format';
const FORMAT_VERSION = '1';
const ROWS_READ_KEY = 'taxi-mlops.pair-stats.rows_read';
const USER_PREFIX = 'taxi-mlops.meta.';

/** Serializes the statistics as an Arrow IPC *file* (random-access format, magic ARROW1). */
export function encodePairStatistics(stats: PairStatistics): Uint8Array {
  assertConsistent(stats, 'statistics to write');
  const columns = makeTable({
    pu: stats.pu,
    do: stats.do,
    count: stats.count,
    sum_y: stats.sumY,
    sum_y2: stats.sumY2,
    m2: stats.m2,
  });
  const metadata = new Map<string, string>([
    [FORMAT_KEY, FORMAT_VERSION],
    [ROWS_READ_KEY, String(stats.rowsRead)],
  ]);
  for (const [key, value] of Object.entries(stats.metadata)) metadata.set(USER_PREFIX + key, value);
  const schema = new Schema(columns.schema.fields, metadata);
  const table = new Table(schema, columns.batches.map((batch) => batch));
  return tableToIPC(table, 'file');
}

export function decodePairStatistics(bytes: Uint8Array, source = 'statistics'): PairStatistics {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (cause) {
    throw new PipelineError('invalid_file', `${source}: not an Arrow IPC file (${String(cause)})`, { cause });
  }
  const metadata = table.schema.metadata;
  if (metadata.get(FORMAT_KEY) !== FORMAT_VERSION) {
    throw new PipelineError('invalid_file', `${source}: not a pair-statistics file of format ${FORMAT_VERSION}`);
  }
  const user: Record<string, string> = {};
  for (const [key, value] of metadata) {
    if (key.startsWith(USER_PREFIX)) user[key.slice(USER_PREFIX.length)] = value;
  }
  const stats: PairStatistics = {
    pu: column(table, 'pu', Int32, Int32Array, source),
    do: column(table, 'do', Int32, Int32Array, source),
    count: column(table, 'count', Float64, Float64Array, source),
    sumY: column(table, 'sum_y', Float64, Float64Array, source),
    sumY2: column(table, 'sum_y2', Float64, Float64Array, source),
    m2: column(table, 'm2', Float64, Float64Array, source),
    rowsRead: Number(metadata.get(ROWS_READ_KEY)),
    metadata: user,
  };
  assertConsistent(stats, source);
  return stats;
}

/** Writes next to the target and renames, so a reader never sees a half-written file. */
/** Writes the artifact atomically; returns the sha256 of the bytes written (no need to read them back). */
export async function writePairStatistics(path: string, stats: PairStatistics): Promise<{ sha256: string }> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const bytes = encodePairStatistics(stats);
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
    return { sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function readPairStatistics(path: string): Promise<PairStatistics> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PipelineError(missing ? 'artifact_missing' : 'invalid_file', `${path}: cannot read statistics (${String(cause)})`, { cause });
  }
  return decodePairStatistics(bytes, path);
}

type TypedArrayClass<A> = { new (length: number): A; from(values: ArrayLike<number>): A };

function column<A extends Int32Array | Float64Array>(
  table: Table,
  name: string,
  type: new () => DataType,
  arrayClass: TypedArrayClass<A>,
  source: string,
): A {
  const field: Field | undefined = table.schema.fields.find((f) => f.name === name);
  const vector: Vector | null = table.getChild(name);
  if (!field || !vector || (field.type as DataType).typeId !== new type().typeId) {
    throw new PipelineError('invalid_schema', `${source}: column ${name} is missing or has the wrong type`);
  }
  if (vector.nullCount > 0) throw new PipelineError('invalid_schema', `${source}: column ${name} has nulls`);
  const values: unknown = vector.toArray();
  // toArray() may return a view over the IPC buffer or a concatenation; copy into an owned array.
  return arrayClass.from(values as ArrayLike<number>);
}

function assertConsistent(stats: PairStatistics, source: string): void {
  const n = stats.pu.length;
  const lengths = [stats.do, stats.count, stats.sumY, stats.sumY2, stats.m2].map((a) => a.length);
  if (lengths.some((length) => length !== n)) {
    throw new PipelineError('invalid_schema', `${source}: columns have different lengths`);
  }
  if (!Number.isSafeInteger(stats.rowsRead) || stats.rowsRead < 0) {
    throw new PipelineError('invalid_schema', `${source}: rows_read is not a non-negative integer`);
  }
}
