import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

/** A local stand-in for the TLC host: serves a folder's files by name, 404 otherwise. */
export async function serveFiles(folder: string): Promise<{ baseUrl: string; close(): void; server: Server }> {
  const server = createServer((request, response) => {
    const path = join(folder, basename(decodeURIComponent(request.url ?? '/')));
    if (!existsSync(path)) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-length': statSync(path).size });
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => server.close(), server };
}
