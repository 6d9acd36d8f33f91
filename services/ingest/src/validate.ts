import { open } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { PipelineError } from '@taxi-mlops/contracts';
import { inSpan, STAGE_ATTRIBUTES } from '@taxi-mlops/tracing';

export interface ParquetColumn {
  name: string;
  /** Parquet physical type, e.g. INT32, INT64, DOUBLE, BYTE_ARRAY. */
  type: string;
}

export interface TripFileInfo {
  rows: number;
  pickupColumn: string;
  dropoffColumn: string;
  columns: ParquetColumn[];
}

export interface ValidateOptions {
  /** How messages name the file (e.g. the source URL while it is still a `.part` file); defaults to the path. */
  label?: string;
}

const magic = Buffer.from('PAR1', 'ascii');
/** Yellow files use the taximeter prefix `tpep_`, green files the livery prefix `lpep_`. */
const datetimePrefixes = ['tpep', 'lpep'] as const;
const zoneColumns = ['PULocationID', 'DOLocationID'] as const;
const integerTypes = new Set(['INT32', 'INT64']);

/**
 * Checks that a file is a readable TLC trip parquet before anything uses it: PAR1 magic at both
 * ends, a footer DuckDB can read, the pickup/drop-off/zone columns with usable types, and data
 * pages of those columns that decode to the row count the footer promises.
 */
export async function validateTripFile(path: string, options: ValidateOptions = {}): Promise<TripFileInfo> {
  const label = options.label ?? path;
  await checkMagic(path, label);
  // An INTERNAL span in the run's trace: the DuckDB reads are most of ingest's CPU time.
  return inSpan('duckdb validate parquet', { 'db.system.name': 'duckdb' }, async (span) => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const rows = await footerRowCount(connection, path, label);
      const columns = await readSchema(connection, path, label);
      const { pickupColumn, dropoffColumn } = requireColumns(columns, label);
      await checkDataPages(connection, path, label, [pickupColumn, dropoffColumn, ...zoneColumns], rows);
      span.setAttribute(STAGE_ATTRIBUTES.rowsRead, rows);
      return { rows, pickupColumn, dropoffColumn, columns };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
}

async function checkMagic(path: string, label: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PipelineError('not_found', `${label}: no such file`, { cause: error });
    throw new PipelineError('invalid_file', `${label}: cannot open (${code ?? String(error)})`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PipelineError('invalid_file', `${label}: not a regular file`);
    const size = info.size;
    if (!Number.isFinite(size) || size < 2 * magic.length + 4) {
      throw new PipelineError('invalid_file', `${label}: not a parquet file (only ${size} bytes)`);
    }
    const head = Buffer.alloc(magic.length);
    const tail = Buffer.alloc(magic.length);
    await handle.read(head, 0, magic.length, 0);
    await handle.read(tail, 0, magic.length, size - magic.length);
    if (!head.equals(magic)) throw new PipelineError('invalid_file', `${label}: not a parquet file (no PAR1 magic at the start)`);
    if (!tail.equals(magic)) {
      throw new PipelineError('invalid_file', `${label}: truncated or corrupt parquet file (no PAR1 magic at the end)`);
    }
  } finally {
    await handle.close();
  }
}

async function footerRowCount(connection: DuckDBConnection, path: string, label: string): Promise<number> {
  try {
    const result = await connection.runAndReadAll('SELECT num_rows FROM parquet_file_metadata($1)', [path]);
    const value = result.getRows()[0]?.[0];
    const rows = Number(value);
    if (!Number.isSafeInteger(rows) || rows < 0) throw new Error(`row count ${String(value)} in the footer`);
    return rows;
  } catch (error) {
    throw new PipelineError('invalid_file', `${label}: unreadable parquet footer (${firstLine(error)})`, { cause: error });
  }
}

async function readSchema(connection: DuckDBConnection, path: string, label: string): Promise<ParquetColumn[]> {
  let rows;
  try {
    const result = await connection.runAndReadAll(
      'SELECT name, type, converted_type, logical_type FROM parquet_schema($1)',
      [path],
    );
    rows = result.getRows();
  } catch (error) {
    throw new PipelineError('invalid_file', `${label}: unreadable parquet schema (${firstLine(error)})`, { cause: error });
  }
  // The first schema element is the root group (no physical type); the rest are the columns.
  return rows.slice(1).map(([name, type, converted, logical]) => ({
    name: String(name),
    type: describeType(type, converted, logical),
  }));
}

/** Physical type, refined to TIMESTAMP when the logical/converted annotation says so. */
function describeType(type: unknown, converted: unknown, logical: unknown): string {
  const physical = typeof type === 'string' ? type : 'GROUP';
  const isTimestamp =
    physical === 'INT96' ||
    (typeof converted === 'string' && converted.startsWith('TIMESTAMP')) ||
    (typeof logical === 'string' && logical.startsWith('TimestampType'));
  return isTimestamp ? `TIMESTAMP(${physical})` : physical;
}

function requireColumns(columns: ParquetColumn[], label: string): { pickupColumn: string; dropoffColumn: string } {
  const byName = new Map(columns.map((column) => [column.name, column]));
  const prefix = datetimePrefixes.find((candidate) => byName.has(`${candidate}_pickup_datetime`));
  if (!prefix) {
    throw new PipelineError(
      'invalid_schema',
      `${label}: missing pickup datetime column (expected ${datetimePrefixes.map((p) => `${p}_pickup_datetime`).join(' or ')})`,
    );
  }
  const pickupColumn = `${prefix}_pickup_datetime`;
  const dropoffColumn = `${prefix}_dropoff_datetime`;
  for (const name of [pickupColumn, dropoffColumn]) {
    const column = byName.get(name);
    if (!column) throw new PipelineError('invalid_schema', `${label}: missing column ${name}`);
    if (!column.type.startsWith('TIMESTAMP')) {
      throw new PipelineError('invalid_schema', `${label}: column ${name} has type ${column.type}, expected a timestamp`);
    }
  }
  for (const name of zoneColumns) {
    const column = byName.get(name);
    if (!column) throw new PipelineError('invalid_schema', `${label}: missing column ${name}`);
    if (!integerTypes.has(column.type)) {
      throw new PipelineError('invalid_schema', `${label}: column ${name} has type ${column.type}, expected INT32 or INT64`);
    }
  }
  return { pickupColumn, dropoffColumn };
}

/**
 * Decodes every page of the columns the pipeline reads: a footer can be intact while a page is
 * corrupt, and finding that here keeps the failure in ingest instead of halfway through training.
 * The column names in the SQL come from the fixed lists above, never from the file.
 */
async function checkDataPages(
  connection: DuckDBConnection,
  path: string,
  label: string,
  columnNames: string[],
  expectedRows: number,
): Promise<void> {
  // sum(hash(x)) touches every value; count(x) and max(x) can be answered from footer statistics.
  const counts = columnNames.map((name) => `sum(hash("${name}"))`).join(', ');
  let scanned: number;
  try {
    const result = await connection.runAndReadAll(`SELECT count(*), ${counts} FROM read_parquet($1)`, [path]);
    scanned = Number(result.getRows()[0]?.[0]);
  } catch (error) {
    throw new PipelineError('invalid_file', `${label}: unreadable data pages (${firstLine(error)})`, { cause: error });
  }
  if (scanned !== expectedRows) {
    throw new PipelineError('invalid_file', `${label}: footer promises ${expectedRows} rows but the data holds ${scanned}`);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').find((part) => part.trim() !== '') ?? text;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
