// Training on several months: the per-month statistics are summed and solved once. The result must be
// the exact minimum-norm solution on the months' rows concatenated, and match scikit-learn's rows,
// features and training RMSE on them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildMonthStatistics } from '@taxi-mlops/features';
import { generateTripFile } from '@taxi-mlops/synthetic';
import { trainModel } from '@taxi-mlops/trainer';
import { assertAbsolutelyClose, assertAllClose, assertRelativelyClose } from './support/numbers';
import { runReference, type ReferenceResult } from './support/reference';
import { runPipeline as runCli, serveFolder } from '../cli/test/support';

const MONTHS = [1, 2, 3];
const fileFor = (dir: string, month: number) => join(dir, `yellow_tripdata_2022-${String(month).padStart(2, '0')}.parquet`);

/** The months' rows in one file, as a user would concatenate them for the Python code. */
async function concatenate(files: string[], target: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // Paths come from mkdtemp, not from user input; DuckDB's COPY target cannot be a parameter.
    await connection.run(`COPY (SELECT * FROM read_parquet([${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]))
      TO '${target.replaceAll("'", "''")}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('training on three months', () => {
  let dir: string;
  let reference: ReferenceResult;
  let statsPaths: string[];
  let rowsRead: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multi-month-'));
    // Different seeds and sizes, so each month has its own zone mix and rare zones.
    for (const month of MONTHS) {
      await generateTripFile({ path: fileFor(dir, month), taxi: 'yellow', rows: 15_000 + month * 4_000, seed: 40 + month, year: 2022, month, idType: 'int64', codec: 'zstd', zoneSkew: 1.1 });
    }
    const concatenated = join(dir, 'concatenated.parquet');
    await concatenate(MONTHS.map((m) => fileFor(dir, m)), concatenated);
    reference = await runReference(concatenated, { sample: 300 });
    const features = await Promise.all(
      MONTHS.map((month) => buildMonthStatistics({ tripFile: fileFor(dir, month), outputPath: join(dir, `stats-${month}.arrow`) })),
    );
    statsPaths = features.map((f) => f.statsPath);
    rowsRead = features.reduce((sum, f) => sum + f.rowsRead, 0);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('summed statistics give the exact solution on the concatenated rows, and sklearn’s rows, features and RMSE', async () => {
    const model = await trainModel({ statsPaths, modelDir: join(dir, 'model') });
    assert.equal(rowsRead, reference.rows_loaded, 'rows loaded');
    assert.equal(model.rowsTrain, reference.rows_prepared, 'rows after preparation');
    assert.deepEqual(model.featureNames, reference.feature_names, 'the union vocabulary in DictVectorizer order');
    assertAbsolutelyClose(model.intercept, reference.exact_intercept, 1e-6, 'intercept vs numpy lstsq on the concatenated rows');
    assertAllClose(model.coefficients, reference.exact_coefficients, 1e-6, 'coefficients vs numpy lstsq');
    assertRelativelyClose(model.rmseTrain, reference.sklearn_rmse_train, 1e-6, 'training RMSE vs scikit-learn');
  });

  test('the local command trains on a month range and reuses statistics of overlapping months', async () => {
    const served = await serveFolder(dir);
    const dataDir = join(dir, 'data');
    try {
      const common = ['--taxi', 'yellow', '--base-url', served.baseUrl, '--data-dir', dataDir, '--no-progress'];
      const first = await runCli([...common, '--from', '2022-01', '--to', '2022-02']);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /2022-01 .* computed\n/);
      const range = await runCli([...common, '--from', '2022-01', '--to', '2022-03', '--json']);
      assert.equal(range.code, 0, range.stderr);
      const answers = JSON.parse(range.stdout) as { rows_loaded: number; rows_prepared: number; n_features: number; intercept: number };
      assert.equal(answers.rows_loaded, reference.rows_loaded);
      assert.equal(answers.rows_prepared, reference.rows_prepared);
      assert.equal(answers.n_features, reference.n_features);
      assertAbsolutelyClose(answers.intercept, reference.exact_intercept, 1e-6, 'CLI intercept');
      const table = await runCli([...common, '--from', '2022-02', '--to', '2022-03']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /2022-02 .* reused\n/, 'a month seen before is not read again');
      assert.match(table.stdout, /2022-03 .* reused\n/);
    } finally {
      served.server.close();
    }
  });
});
