// The reference numbers: what the local command (`npm run pipeline -- --json`) prints for one file.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './processes';

const run = promisify(execFile);

export type LocalAnswers = Record<string, number | string | null>;

export async function localAnswers(file: string, month: { taxi: 'green' | 'yellow'; year: number; month: number }): Promise<LocalAnswers> {
  const dataDir = await mkdtemp(join(tmpdir(), 'taxi-e2e-cli-'));
  try {
    const args = ['--import', 'tsx', 'cli/src/main.ts', '--taxi', month.taxi, '--year', String(month.year), '--month', String(month.month), '--source', file, '--data-dir', dataDir, '--json', '--no-progress'];
    const { stdout } = await run(process.execPath, args, { cwd: repoRoot, maxBuffer: 10_000_000 });
    return JSON.parse(stdout) as LocalAnswers;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
