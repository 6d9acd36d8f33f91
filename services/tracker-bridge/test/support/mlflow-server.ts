import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = `${REPO_ROOT}scripts/mlflow-server.sh`;

export interface MlflowServerOptions {
  /** Default 5000 (the shared test server). */
  port?: number;
  /** Default data/mlflow-<port>. */
  dataDir?: string;
}

function env(options: MlflowServerOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(options.port ? { MLFLOW_PORT: String(options.port) } : {}),
    ...(options.dataDir ? { MLFLOW_DATA_DIR: options.dataDir } : {}),
  };
}

/** Starts the server with the project's script (returns at once when it is already healthy); the tracking URI. */
export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<string> {
  const { stdout } = await run('bash', [SCRIPT, 'start'], { env: env(options), cwd: REPO_ROOT, timeout: 300_000 });
  const uri = stdout.trim().split('\n').pop() ?? '';
  if (!uri.startsWith('http')) throw new Error(`mlflow-server.sh start printed no URI: ${stdout}`);
  return uri;
}

export async function stopMlflowServer(options: MlflowServerOptions = {}): Promise<void> {
  await run('bash', [SCRIPT, 'stop'], { env: env(options), cwd: REPO_ROOT, timeout: 60_000 });
}

/** A random suffix so tests never share an experiment or a registered model. */
export const uniqueSuffix = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
