import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** One line describing the machine the figures came from. */
export function describeMachine(python?: string): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  let pythonVersion = '';
  if (python) {
    try {
      pythonVersion = `, ${execFileSync(python, ['--version']).toString().trim()}`;
    } catch {
      pythonVersion = '';
    }
  }
  return `${cpus().length} cores (${cpu}), ${memory} RAM, Node ${process.version}${pythonVersion}, ${new Date().toISOString().slice(0, 10)}`;
}
