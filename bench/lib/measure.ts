import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Measurement {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

/** Runs a command under GNU time (`apt-get install time`) and returns wall time and peak RSS. */
export async function measure(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measurement> {
  const child = spawn('/usr/bin/time', ['-f', 'BENCH_TIME %e %M', command, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const match = /BENCH_TIME ([\d.]+) (\d+)/.exec(stderr);
  if (code !== 0 || !match) throw new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr.slice(-2000)}`);
  return { seconds: Number(match[1]), peakRssMb: Number(match[2]) / 1024, stdout };
}

export function summarise(values: number[]): { min: number; median: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0]!, median };
}
