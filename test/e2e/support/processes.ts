// The services as child processes, exactly as `npm run stack` or compose start them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export type ServiceName = 'ingest' | 'features' | 'trainer' | 'gateway';

export const entryPoint = (name: ServiceName) => (name === 'gateway' ? 'gateway/src/main.ts' : `services/${name}/src/main.ts`);

export type LogLine = Record<string, unknown>;

export interface ServiceProcess {
  label: string;
  child: ChildProcess;
  lines: LogLine[];
  stderr(): string;
  /** The first JSON log line matching `predicate`, already printed or to come. */
  waitForLine(predicate: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (graceful) or SIGKILL, then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node --import tsx <entry>` with only `env` (plus PATH): nothing leaks in from the test runner. */
export function spawnService(name: ServiceName, label: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entryPoint(name)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: Array<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    if (process.env.E2E_LOGS) process.stderr.write(`[${label}] ${text}\n`);
    for (const waiter of waiters.splice(0)) {
      if (waiter.predicate(line)) waiter.resolve(line);
      else waiters.push(waiter);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.on('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return {
    label,
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(predicate, what, timeoutMs = 60_000) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolveLine, reject) => {
        const timer = setTimeout(() => reject(new Error(`${label}: no log line "${what}" within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        const waiter = {
          predicate,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        };
        waiters.push(waiter);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${label} exited (code ${code}, signal ${signal}) before "${what}"; stderr: ${stderr.slice(-2000)}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until the service logged `started` (runService's last start-up line). */
export async function started(service: ServiceProcess): Promise<ServiceProcess> {
  await service.waitForLine((line) => line.msg === 'started', 'started');
  return service;
}
