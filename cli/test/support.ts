import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const sharedTlc = resolve(repoRoot, '..', 'shared', 'data', 'tlc');
export const sharedMissing = existsSync(sharedTlc) ? false : `../shared/data/tlc is absent (${sharedTlc}); real-file tests skipped`;

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the local command as a user would, in its own process. */
export async function runPipeline(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'src', 'main.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Serves files from a folder by name; anything else is a 404. */
export async function serveFolder(folder: string): Promise<{ baseUrl: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const name = decodeURIComponent((request.url ?? '/').split('/').pop() ?? '');
    requests.push(request.url ?? '');
    const path = join(folder, name);
    if (!name || !existsSync(path)) {
      response.writeHead(404).end('not found');
      return;
    }
    void stat(path).then((info) => {
      response.writeHead(200, { 'content-length': info.size, 'content-type': 'application/octet-stream' });
      createReadStream(path).pipe(response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, server, requests };
}

/** Every file below `dir` (relative names), to show nothing was left behind. */
export async function filesBelow(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}
