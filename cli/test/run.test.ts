import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { runPipeline, serveFolder, sharedMissing, sharedTlc } from './support';

const greenMarch = join(sharedTlc, 'green_tripdata_2023-03.parquet');

async function parquetRowCount(path: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM read_parquet($1)', [path]);
    return Number(reader.getRowObjects()[0]?.n);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('local command on a real file', { skip: sharedMissing }, () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cli-run-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('--json prints exactly the answer keys, consistent with the file and the model', async () => {
    const result = await runPipeline(['--taxi', 'green', '--year', '2023', '--month', '3', '--source', greenMarch, '--data-dir', dataDir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const answers = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(answers).sort(), [
      'intercept', 'model_dir', 'model_size_bytes', 'n_features', 'rmse_train', 'rmse_val', 'rows_loaded', 'rows_prepared',
    ]);
    assert.equal(answers.rows_loaded, await parquetRowCount(greenMarch));
    assert.ok((answers.rows_prepared as number) < (answers.rows_loaded));
    assert.equal(answers.rmse_val, null);
    const modelDir = answers.model_dir as string;
    assert.ok(existsSync(join(modelDir, 'MLmodel')), 'MLmodel written');
    assert.equal(answers.model_size_bytes, statSync(join(modelDir, 'model.onnx')).size);
  });

  test('the answers block is printed with its marker, and a validation month adds its RMSE', async () => {
    const served = await serveFolder(sharedTlc);
    const result = await runPipeline([
      '--taxi', 'green', '--year', '2023', '--month', '3', '--source', greenMarch, '--data-dir', dataDir,
      '--validation', '2023-02', '--base-url', served.baseUrl,
    ]).finally(() => served.server.close());
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /HOMEWORK ANSWERS/);
    const rows = new Intl.NumberFormat('en-US').format(await parquetRowCount(greenMarch));
    assert.match(result.stdout, new RegExp(`Q3 rows loaded\\s+${rows}\\n`));
    assert.match(result.stdout, /validation RMSE \(minutes\)\s+\d+\.\d{6}/);
    for (const stage of ['ingest', 'features', 'train', 'total']) assert.match(result.stdout, new RegExp(`time: ${stage}\\s+\\d+\\.\\d+ s`));
  });
});
