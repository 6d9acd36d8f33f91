// `npm run stack`: every service of the pipeline as a child process of this one, on one shared
// environment, with prefixed log lines. Ctrl-C stops them gracefully (SIGTERM, then they drain);
// a second Ctrl-C kills them. Needs NATS (JetStream) and PostgreSQL running (scripts/services-up.sh).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

interface ServiceSpec {
  name: string;
  entry: string;
}

const services: ServiceSpec[] = [
  { name: 'ingest', entry: 'services/ingest/src/main.ts' },
  { name: 'features', entry: 'services/features/src/main.ts' },
  { name: 'trainer', entry: 'services/trainer/src/main.ts' },
  { name: 'tracker-bridge', entry: 'services/tracker-bridge/src/main.ts' },
  { name: 'gateway', entry: 'gateway/src/main.ts' },
].filter((service) => existsSync(resolve(repoRoot, service.entry))); // the tracker-bridge only once it has a main

/** One environment for all: what the caller set wins; these defaults make a local stack work as is. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NATS_URL: process.env.NATS_URL || 'nats://127.0.0.1:4222',
  // Absolute, so every service resolves the events' artifact URIs against the same folder.
  ARTIFACT_ROOT: resolve(process.env.ARTIFACT_ROOT || './data'),
  DATABASE_URL: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/taxi_mlops',
  GATEWAY_HOST: process.env.GATEWAY_HOST || '127.0.0.1',
};

const colours = [36, 33, 35, 32, 34, 31];
const width = Math.max(...services.map((service) => service.name.length));
const rawLogs = Boolean(process.env.STACK_RAW_LOGS);

/** `[trainer ] info  model trained runId=… modelDir=…` from a pino JSON line; other text as it is. */
function format(text: string): string {
  if (rawLogs || !text.startsWith('{')) return text;
  try {
    const { level, msg, runId, time: _time, service: _service, instance: _instance, pid: _pid, hostname: _hostname, traceId: _traceId, spanId: _spanId, ...rest } = JSON.parse(text) as Record<string, unknown>;
    const fields = Object.entries(rest).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    return [String(level).padEnd(5), String(msg), ...(typeof runId === 'string' ? [`runId=${runId}`] : []), ...fields].join(' ');
  } catch {
    return text;
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) return; // someone else's naming: leave it to them
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${name}`);
      console.log(`stack: created database ${name}`);
    }
  } catch (error) {
    console.error(`stack: could not check database ${name} (${(error as Error).message}); the gateway will report it`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const children = new Map<string, ChildProcess>();
let stopping = false;
let exitCode = 0;

function start(service: ServiceSpec, index: number): void {
  const label = `[${service.name.padEnd(width)}]`;
  const prefix = process.stdout.isTTY ? `\x1b[${colours[index % colours.length]}m${label}\x1b[0m ` : `${label} `;
  // Its own process group: the terminal's Ctrl-C reaches only this script, which stops them in order.
  const child = spawn(process.execPath, ['--import', 'tsx', service.entry], {
    cwd: repoRoot,
    env: { ...env, SERVICE_INSTANCE_ID: env.SERVICE_INSTANCE_ID || `${service.name}-1` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.set(service.name, child);
  createInterface({ input: child.stdout }).on('line', (line) => process.stdout.write(`${prefix}${format(line)}\n`));
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`${prefix}${line}\n`));
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    process.stdout.write(`${prefix}exited (${signal ?? `code ${code}`})\n`);
    if (!stopping) {
      // One service down makes the stack misleading: stop the others too.
      exitCode = 1;
      stop('a service exited');
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

function stop(reason: string): void {
  if (stopping) {
    console.log('stack: killing the services');
    for (const child of children.values()) child.kill('SIGKILL');
    return;
  }
  stopping = true;
  console.log(`stack: stopping (${reason}); Ctrl-C again to kill`);
  for (const child of children.values()) child.kill('SIGTERM');
  if (children.size === 0) process.exit(exitCode);
}

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

await ensureDatabase(String(env.DATABASE_URL));
console.log(`stack: ${services.map((service) => service.name).join(', ')}; ARTIFACT_ROOT=${env.ARTIFACT_ROOT} NATS_URL=${env.NATS_URL}${env.NATS_NAMESPACE ? ` NATS_NAMESPACE=${env.NATS_NAMESPACE}` : ''}`);
services.forEach(start);
