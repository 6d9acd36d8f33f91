import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/** Replaces (or appends) one marked section of docs/benchmarks.md, leaving the others alone. */
export async function writeDocsSection(path: string, name: string, body: string): Promise<void> {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(path) ? await readFile(path, 'utf8') : '# Benchmarks\n';
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  const next = pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(path, next);
}
