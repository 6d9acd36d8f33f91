import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectBus, createLogger, type Bus } from '../src/index';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** A namespace no other test file uses: its own subjects and streams on the shared server. */
export function randomNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function randomRunId(): string {
  return `run-${randomBytes(4).toString('hex')}`;
}

/** A bus in a fresh namespace with its streams created; `dispose` deletes them. */
export async function testBus(name = 'test', namespace = randomNamespace()): Promise<Bus & { dispose(): Promise<void> }> {
  const bus = await connectBus({
    servers: NATS_URL,
    name,
    namespace,
    logger: createLogger({ service: name, level: process.env.TEST_LOG_LEVEL === undefined ? 'silent' : (process.env.TEST_LOG_LEVEL as 'info') }),
  });
  await bus.ensureStreams({ duplicateWindowMs: 60_000 });
  return Object.assign(bus, {
    async dispose() {
      await bus.deleteStreams();
      await bus.close(0);
    },
  });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const fixturePath = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));

/** A child process running a TypeScript fixture, with its JSON stdout lines collected. */
export interface Child {
  process: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the first stdout JSON line matching `predicate` (seen or future). */
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnFixture(file: string, env: Record<string, string | undefined>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixturePath(file)], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { text };
    }
    lines.push(line);
    for (const waiter of waiters.splice(0)) {
      if (waiter.predicate(line)) waiter.resolve(line);
      else waiters.push(waiter);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor(predicate) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}
