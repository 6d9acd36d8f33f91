import { rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { PipelineError } from '@taxi-mlops/contracts';
import { resolveOptions } from './options';
import type { Codec, GenerateOptions, ParquetVersion } from './options';
import { macros, tripSelect } from './sql';

// COPY options are SQL keywords, so they come from these fixed tables, never from the caller.
const compressionKeyword: Record<Codec, string> = { zstd: 'zstd', snappy: 'snappy', gzip: 'gzip', uncompressed: 'uncompressed' };
const versionKeyword: Record<ParquetVersion, string> = { v1: 'V1', v2: 'V2' };

/**
 * Writes a TLC-shaped trip parquet of `rows` rows, deterministic for a seed. DuckDB generates and
 * writes it in one parallel COPY; the file appears under `path` only once complete.
 */
export async function generateTripFile(options: GenerateOptions): Promise<{ path: string; rows: number }> {
  const o = resolveOptions(options);
  await requireDirectory(dirname(resolve(o.path)));
  const monthStart = Date.UTC(o.year, o.month - 1, 1) / 1000;
  const monthSeconds = Date.UTC(o.year, o.month, 1) / 1000 - monthStart;
  const temporary = `${o.path}.${process.pid}.tmp`;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const macro of macros) await connection.run(macro);
    const copy = `COPY (${tripSelect(o.taxi, o.idType, o.seed)}) TO $1
      (FORMAT parquet, COMPRESSION ${compressionKeyword[o.codec]}, PARQUET_VERSION ${versionKeyword[o.parquetVersion]})`;
    await connection.run(copy, [temporary, o.rows, monthStart, monthSeconds, o.zoneSkew]);
    await rename(temporary, o.path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new PipelineError('internal', `cannot write ${o.path}: ${firstLine(error)}`, { cause: error });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { path: o.path, rows: o.rows };
}

async function requireDirectory(directory: string): Promise<void> {
  const isDirectory = await stat(directory).then((info) => info.isDirectory(), () => false);
  if (!isDirectory) throw new PipelineError('invalid_request', `path: directory ${directory} does not exist`);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
