// The local command (`npx tsx cli/src/main.ts ... --json`) on the real green 2023-03 file, against the
// homework's Python code and the exact minimum-norm fit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { assertAbsolutelyClose, assertRelativelyClose } from './support/numbers';
import { repoRoot } from './support/python';
import { realDataDir, realDataMissing } from './support/real-data';
import { runReference } from './support/reference';

interface CliAnswers {
  rows_loaded: number;
  rows_prepared: number;
  n_features: number;
  intercept: number;
  rmse_train: number;
  rmse_val: number | null;
  model_size_bytes: number;
  model_dir: string;
}

const cliMain = resolve(repoRoot, 'cli/src/main.ts');
const tripFile = join(realDataDir, 'green_tripdata_2023-03.parquet');

function runCli(args: string[]): Promise<CliAnswers> {
  return new Promise((resolvePromise, reject) => {
    execFile('npx', ['tsx', cliMain, ...args], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`local command failed: ${error.message}\n${stderr}`));
        return;
      }
      resolvePromise(JSON.parse(stdout) as CliAnswers);
    });
  });
}

async function directoryPayloadBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

void describe('the local command on green 2023-03', () => {
  void it('prints the answers the Python homework code gives', async (t) => {
    if (!existsSync(cliMain)) {
      t.skip(`${cliMain} does not exist yet`);
      return;
    }
    if (realDataMissing) {
      t.skip(realDataMissing);
      return;
    }
    const dataDir = await mkdtemp(join(tmpdir(), 'taxi-cli-parity-'));
    try {
      const [answers, reference] = await Promise.all([
        runCli(['--taxi', 'green', '--year', '2023', '--month', '3', '--source', tripFile, '--data-dir', dataDir, '--json', '--no-progress']),
        runReference(tripFile, { sample: 10 }),
      ]);
      t.diagnostic(`cli ${JSON.stringify(answers)}`);
      t.diagnostic(`exact intercept ${reference.exact_intercept}, sklearn ${reference.sklearn_intercept}`);
      assert.equal(answers.rows_loaded, reference.rows_loaded, 'rows_loaded');
      assert.equal(answers.rows_prepared, reference.rows_prepared, 'rows_prepared');
      assert.equal(answers.n_features, reference.n_features, 'n_features');
      assertAbsolutelyClose(answers.intercept, reference.exact_intercept, 1e-6, 'intercept vs exact min-norm');
      assertAbsolutelyClose(answers.intercept, reference.sklearn_intercept, 0.005, 'intercept vs sklearn');
      assertRelativelyClose(answers.rmse_train, reference.sklearn_rmse_train, 1e-6, 'rmse_train vs sklearn');
      assert.equal(answers.rmse_val, null, 'no validation month was asked for');
      assert.ok(existsSync(join(answers.model_dir, 'MLmodel')), 'the model dir holds an MLmodel');
      // model_size_bytes counts the payload, not MLmodel nor the env files (mlflow-rest.md §5.2).
      const onnxBytes = (await stat(join(answers.model_dir, 'model.onnx'))).size;
      assert.ok(answers.model_size_bytes >= onnxBytes, 'model_size_bytes covers model.onnx');
      assert.ok(answers.model_size_bytes < (await directoryPayloadBytes(answers.model_dir)), 'model_size_bytes leaves out MLmodel');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
