// A tracker that died half-way (run created, params logged, LoggedModel still PENDING) is finished
// by the next attempt on the same MLflow run and the same LoggedModel.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import type { MlflowTrackerConfig } from '../src/mlflow/config';
import { recordTrainingRun } from '../src/mlflow/record-run';
import { buildTrainingRunRecord, RUN_ID_TAG } from '../src/mlflow/run-record';
import { fixtureRun, type FixtureRun } from './support/mlflow-fixtures';
import { testConfig } from './support/mlflow-pipeline';
import { startMlflowServer } from './support/mlflow-server';

void describe('recordTrainingRun after a crash half-way', () => {
  let config: MlflowTrackerConfig;
  let client: MlflowClient;
  let run: FixtureRun;

  before(async () => {
    config = await testConfig(await startMlflowServer());
    client = new MlflowClient({ trackingUri: config.MLFLOW_TRACKING_URI });
    run = await fixtureRun({ seed: 5, noise: 4 });
  });
  after(async () => {
    if (run) await rm(run.dir, { recursive: true, force: true });
    if (config) await rm(config.MLFLOW_MODEL_CACHE_DIR, { recursive: true, force: true });
  });

  void it('reuses the run and the pending LoggedModel, and completes both', async () => {
    const record = buildTrainingRunRecord(run.events, { experimentNamePattern: config.MLFLOW_EXPERIMENT_NAME, user: 'u', artifactRoot: '/' });
    // What the first attempt left behind.
    const experiment = await client.getOrCreateExperiment(record.experimentName);
    const partial = await client.createRun({ experimentId: experiment.experiment_id, runName: record.runName, startTime: record.startTime, tags: record.tags });
    await client.logBatch({ runId: partial.info.run_id, params: record.params, metrics: record.metrics });
    const pending = await client.createLoggedModel({ experimentId: experiment.experiment_id, name: 'model', sourceRunId: partial.info.run_id });
    assert.equal(pending.info.status, 'LOGGED_MODEL_PENDING');

    const result = await recordTrainingRun(record, { client, registeredModelName: config.MLFLOW_REGISTERED_MODEL });
    assert.equal(result.mlflowRunId, partial.info.run_id);
    assert.equal(result.modelId, pending.info.model_id);
    assert.equal((await client.getLoggedModel(pending.info.model_id)).info.status, 'LOGGED_MODEL_READY');
    const models = await client.searchLoggedModels({ experimentIds: [experiment.experiment_id], filter: `source_run_id = '${partial.info.run_id}'` });
    assert.equal(models.length, 1);
    const runs = await client.searchRuns({ experimentIds: [experiment.experiment_id], filter: `tags.\`${RUN_ID_TAG}\` = '${run.runId}'` });
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.info.status, 'FINISHED');
    // Metric points logged again with the same timestamp stay one point each.
    assert.equal(runs[0]?.data.metrics.length, record.metrics.length);
    assert.equal((await client.getMetricHistory(partial.info.run_id, 'rmse_train')).length, 1);

    const again = await recordTrainingRun(record, { client, registeredModelName: config.MLFLOW_REGISTERED_MODEL });
    assert.equal(again.recordedNow, false);
    assert.equal(again.modelVersion, result.modelVersion);
    assert.equal(again.champion, true);
  });
});
