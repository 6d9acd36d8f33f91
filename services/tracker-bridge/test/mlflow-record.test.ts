// Pure decisions of the MLflow part: no server needed.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { PipelineError } from '@taxi-mlops/contracts';
import { loadPredictor } from '@taxi-mlops/model-format';
import { readPairStatistics } from '@taxi-mlops/pair-stats';
import { decideChampion } from '../src/mlflow/champion-rule';
import { predictedVsActualSvg } from '../src/mlflow/plot';
import { answersMarkdown, buildTrainingRunRecord, localPathOf, RUN_ID_TAG, TRACE_ID_TAG, PREFECT_FLOW_RUN_TAG } from '../src/mlflow/run-record';
import { fixtureRun, type FixtureRun } from './support/mlflow-fixtures';

const options = { experimentNamePattern: 'homework3-{taxi}-taxi', user: 'tester', artifactRoot: '/data' };

void describe('buildTrainingRunRecord', () => {
  let run: FixtureRun;
  before(async () => {
    run = await fixtureRun({ noise: 4, validationNoise: 5, prefectFlowRunId: 'flow-run-123' });
  });
  after(async () => rm(run.dir, { recursive: true, force: true }));

  void it('names the experiment, the run and carries the idempotency, trace and Prefect tags', () => {
    const record = buildTrainingRunRecord({ ...run.events, traceId: 'a'.repeat(32) }, options);
    assert.equal(record.experimentName, 'homework3-yellow-taxi');
    assert.equal(record.runName, `yellow-2023-03-${run.runId}`);
    assert.equal(record.tags['mlflow.runName'], record.runName);
    assert.equal(record.tags[RUN_ID_TAG], run.runId);
    assert.equal(record.tags[TRACE_ID_TAG], 'a'.repeat(32));
    assert.equal(record.tags[PREFECT_FLOW_RUN_TAG], 'flow-run-123');
    assert.equal(record.tags['mlflow.user'], 'tester');
    assert.equal(record.tags['mlflow.source.name'], 'taxi-mlops/services/trainer');
  });

  void it('has the params and metrics of the homework, and the validation RMSE as the score', () => {
    const record = buildTrainingRunRecord(run.events, options);
    assert.deepEqual(
      { ...record.params },
      {
        taxi_type: 'yellow',
        months: '2023-03',
        validation_month: '2023-04',
        source_url: 'https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-03.parquet',
        duration_min_minutes: '1',
        duration_max_minutes: '60',
        features: 'PULocationID,DOLocationID',
        encoding: 'DictVectorizer one-hot (string ids)',
        solver: 'exact-min-norm',
      },
    );
    const metrics = Object.fromEntries(record.metrics.map((m) => [m.key, m.value]));
    assert.equal(metrics['rows_loaded'], run.model.rowsTrain + 17);
    assert.equal(metrics['rows_prepared'], run.model.rowsTrain);
    assert.equal(metrics['n_features'], run.model.nFeatures);
    assert.equal(metrics['intercept'], run.model.intercept);
    assert.equal(metrics['rmse_train'], run.model.rmseTrain);
    assert.equal(metrics['rmse_val'], run.model.rmseVal);
    assert.equal(metrics['model_size_bytes'], run.model.modelSizeBytes);
    assert.equal(metrics['duration_ingest_ms'], 1500);
    assert.equal(metrics['duration_features_ms'], 2500);
    assert.equal(metrics['duration_train_ms'], 321);
    // Fixed timestamps make a replayed batch identical.
    assert.ok(record.metrics.every((m) => m.timestamp === Date.parse(run.events.trained.time)));
    assert.deepEqual(record.score, { metric: 'rmse_val', value: run.model.rmseVal });
    assert.deepEqual(record.plot.statsPaths, [run.validationStatsPath]);
  });

  void it('records the training and validation files as dataset inputs, digest from their sha256', () => {
    const record = buildTrainingRunRecord(run.events, options);
    assert.equal(record.datasets.length, 2);
    const [training, validation] = record.datasets;
    assert.equal(training?.name, 'yellow_tripdata_2023-03');
    assert.equal(training?.digest, run.events.downloaded.data.files[0]?.sha256.slice(0, 32));
    assert.equal(training?.sourceType, 'http');
    assert.deepEqual(JSON.parse(training?.source ?? ''), { url: 'https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-03.parquet' });
    assert.equal(training?.tags['mlflow.data.context'], 'training');
    assert.equal(validation?.tags['mlflow.data.context'], 'validation');
    assert.ok((training?.digest.length ?? 99) <= 36);
  });

  void it('uses the training RMSE as the score when there is no validation month', async () => {
    const plain = await fixtureRun({ noise: 3 });
    try {
      const record = buildTrainingRunRecord(plain.events, options);
      assert.deepEqual(record.score, { metric: 'rmse_train', value: plain.model.rmseTrain });
      assert.equal(record.metrics.some((m) => m.key === 'rmse_val'), false);
      assert.equal(record.params['validation_month'], undefined);
    } finally {
      await rm(plain.dir, { recursive: true, force: true });
    }
  });

  void it('refuses events of another run', () => {
    const other = { ...run.events.features, subject: 'another-run' };
    assert.throws(() => buildTrainingRunRecord({ ...run.events, features: other }, options), /features: event of run another-run/);
  });

  void it('writes the answers as markdown', () => {
    const markdown = answersMarkdown(buildTrainingRunRecord(run.events, options));
    assert.match(markdown, /\| Q5 intercept \| -?\d+\.\d{6} \|/);
    assert.match(markdown, new RegExp(`Q6 model size \\(bytes\\) \\| ${run.model.modelSizeBytes.toLocaleString('en-US')}`));
  });
});

void describe('localPathOf', () => {
  void it('resolves absolute paths, file URLs and paths relative to the artifact root', () => {
    assert.equal(localPathOf('/a/b', '/root', 'f'), '/a/b');
    assert.equal(localPathOf('file:///a/b', '/root', 'f'), '/a/b');
    assert.equal(localPathOf('models/x', '/root', 'f'), '/root/models/x');
  });
  void it('names the field when the URI is remote', () => {
    assert.throws(
      () => localPathOf('s3://bucket/x', '/root', 'model.trained modelUri'),
      (error) => error instanceof PipelineError && error.code === 'artifact_missing' && error.message.startsWith('model.trained modelUri:'),
    );
  });
});

void describe('decideChampion', () => {
  void it('takes the alias when there is no champion', () => assert.equal(decideChampion(5, undefined).take, true));
  void it('takes it when no worse (ties included)', () => {
    assert.equal(decideChampion(5, { version: '1', score: 5 }).take, true);
    assert.equal(decideChampion(4.9, { version: '1', score: 5 }).take, true);
  });
  void it('leaves it when worse', () => {
    const decision = decideChampion(5.1, { version: '3', score: 5 });
    assert.equal(decision.take, false);
    assert.match(decision.reason, /v3/);
  });
  void it('takes it from a champion without a score, never with a non-finite score', () => {
    assert.equal(decideChampion(5, { version: '1', score: undefined }).take, true);
    assert.equal(decideChampion(Number.NaN, undefined).take, false);
  });
});

void describe('predictedVsActualSvg', () => {
  void it('draws one circle per shown pair, biggest count first in size', async () => {
    const run = await fixtureRun({ noise: 2 });
    try {
      const stats = await readPairStatistics(run.statsPath);
      const predictor = await loadPredictor(run.model.modelDir);
      const predictions = predictor.predictBatch(Array.from(stats.pu, (pu, i) => ({ PULocationID: pu, DOLocationID: stats.do[i]! })));
      const svg = predictedVsActualSvg(stats, predictions, { title: 'a < b', maxPoints: 20 });
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.equal(svg.match(/<circle /g)?.length, 20);
      assert.match(svg, /a &lt; b/);
      assert.match(svg, new RegExp(`20 most frequent of ${stats.pu.length} \\(PU, DO\\) pairs`));
      assert.throws(() => predictedVsActualSvg(stats, [1, 2], { title: 'x' }), /2 predictions for \d+ pairs/);
    } finally {
      await rm(run.dir, { recursive: true, force: true });
    }
  });
});
