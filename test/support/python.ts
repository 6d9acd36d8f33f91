// Runs the Python reference scripts with the venvs that scripts/python-env.sh builds.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export type VenvName = 'ref' | 'mlflow';

export function venvPython(venv: VenvName): string {
  const python = resolve(repoRoot, `.venv-${venv}`, 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`${python} is missing: run \`bash scripts/python-env.sh\` at the repo root to build .venv-${venv}`);
  }
  return python;
}

/** Runs python/<script> in the venv and parses the one JSON object it prints. */
export function runPythonJson<T>(venv: VenvName, script: string, args: string[]): Promise<T> {
  const python = venvPython(venv);
  const scriptPath = resolve(repoRoot, 'python', script);
  return new Promise((resolvePromise, reject) => {
    execFile(python, [scriptPath, ...args], { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        return;
      }
      try {
        resolvePromise(JSON.parse(stdout) as T);
      } catch (cause) {
        reject(new Error(`${script} printed no JSON: ${stdout.slice(0, 500)}\n${stderr}`, { cause }));
      }
    });
  });
}
