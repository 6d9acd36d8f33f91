// A local stand-in for the TLC CDN: the real files of ../shared/data/tlc by name, one corrupt
// month, and 404 for everything else. Ingest reaches it through TLC_BASE_URL.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The month served as a file that is not parquet at all. */
export const CORRUPT_FILE = 'green_tripdata_2022-06.parquet';

export interface TlcServer {
  baseUrl: string;
  /** GET requests per file name (downloads, not cache hits). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function startTlcServer(dataDir: string): Promise<TlcServer> {
  const requests = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname.slice(1));
    requests.set(name, (requests.get(name) ?? 0) + 1);
    if (name === CORRUPT_FILE) {
      const junk = Buffer.from('PAR1 this is not a parquet file, only its first magic bytes '.repeat(20));
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': junk.length });
      response.end(junk);
      return;
    }
    const path = join(dataDir, name);
    if (!/^[\w-]+\.parquet$/.test(name) || !existsSync(path)) {
      response.writeHead(404).end('not found');
      return;
    }
    // No Range support needed: every download here is complete on the first try.
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(path).size });
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
