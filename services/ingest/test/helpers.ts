import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface RecordedRequest {
  path: string;
  range: string | undefined;
}

export interface TestServer {
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** A real HTTP server on 127.0.0.1 and a random port; `handler` sees each request with its index. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body`, honouring a `Range: bytes=N-` header unless told to ignore it. */
export function sendBytes(req: IncomingMessage, res: ServerResponse, body: Buffer, options: { honourRange?: boolean } = {}): void {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (match && options.honourRange !== false) {
    const start = Number(match[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'accept-ranges': 'bytes',
    });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
  res.end(body);
}

/** Announces the whole body, sends the first `cut` bytes, then drops the connection. */
export function sendThenDrop(res: ServerResponse, body: Buffer, cut: number, onSent?: () => void): void {
  res.writeHead(200, { 'content-length': body.length });
  res.write(body.subarray(0, cut), () => {
    onSent?.();
    res.socket?.destroy();
  });
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface CraftOptions {
  rows: number;
  /** Leave DOLocationID out (wrong schema). */
  withoutDropoffZone?: boolean;
  /** Store PULocationID as DOUBLE (wrong type). */
  doubleZoneIds?: boolean;
}

/**
 * A small yellow-shaped parquet written by DuckDB COPY, with pseudo-random (incompressible enough)
 * values so the file is big enough to cut in half. The path is bound as a parameter.
 */
export async function craftTripFile(path: string, options: CraftOptions): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const zoneType = options.doubleZoneIds ? 'DOUBLE' : 'INTEGER';
    const dropoffZone = options.withoutDropoffZone ? '' : `, (hash(i, 2) % 265 + 1)::INTEGER AS DOLocationID`;
    await connection.run(
      `COPY (
         SELECT TIMESTAMP '2023-03-01' + to_microseconds((hash(i, 0) % 2600000000000)::BIGINT) AS tpep_pickup_datetime,
                tpep_pickup_datetime + to_microseconds((hash(i, 1) % 3600000000)::BIGINT) AS tpep_dropoff_datetime,
                (hash(i, 3) % 265 + 1)::${zoneType} AS PULocationID${dropoffZone},
                (hash(i, 4) % 10000) / 100.0 AS fare_amount
         FROM range($2) t(i)
       ) TO $1 (FORMAT parquet, COMPRESSION zstd)`,
      [path, options.rows],
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function duckdbCount(path: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const result = await connection.runAndReadAll('SELECT count(*) FROM read_parquet($1)', [path]);
    return Number(result.getRows()[0]?.[0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The repo-root-relative shared data directory, or undefined when it is absent. */
export const sharedTlcDir = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'tlc');
