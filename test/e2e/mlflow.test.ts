// Acceptance: the MLflow criteria with everything real - a POST /runs pipeline run through ingest,
// features, trainer and the tracker-bridge (child processes) into the real MLflow server, then the
// registry champion served three ways: Python's mlflow.pyfunc, the TypeScript predictor and the
// gateway's POST /predict.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { Envelope } from '@taxi-mlops/contracts';
import { metricRecord, MlflowClient, tagRecord } from '@taxi-mlops/mlflow-client';
import { loadPredictor } from '@taxi-mlops/model-format';
import { realDataDir, realDataMissing } from '../support/real-data';
import { repoRoot } from './support/processes';
import type { RunView } from './support/stack';
import { startTrackedStack, type TrackedStack } from './support/tracked-stack';

const exec = promisify(execFile);

/** 100 (PU, DO) rows over the TLC zone ids, deterministic; the last ones use zones no model has seen. */
function trips(): Array<{ PULocationID: number; DOLocationID: number }> {
  let seed = 12345;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  return Array.from({ length: 100 }, (_, i) => (i < 95 ? { PULocationID: 1 + (next() % 265), DOLocationID: 1 + (next() % 265) } : { PULocationID: 900 + i, DOLocationID: 0 }));
}

void describe('e2e: a pipeline run recorded in MLflow, its model the registry champion', { skip: realDataMissing }, () => {
  let tracked: TrackedStack;
  let mlflow: MlflowClient;
  let runId: string;
  let view: RunView;
  let modelTracked: Envelope<'model.tracked'>;

  before(async () => {
    tracked = await startTrackedStack({ realDataDir, prefect: false, predict: true });
    mlflow = new MlflowClient({ trackingUri: tracked.trackingUri });
    runId = await tracked.stack.postRun({ taxi: 'green', year: 2023, month: 3 });
    view = await tracked.stack.waitForFinishedRun(runId);
    modelTracked = (await tracked.stack.waitForEvent(runId, (e) => e.type === 'model.tracked', 120_000)) as Envelope<'model.tracked'>;
  });
  after(() => tracked?.stop());

  void it('records one MLflow run with the params, metrics, tags, dataset input and artifacts of the pipeline run', { timeout: 60_000 }, async () => {
    assert.equal(view.status, 'completed', JSON.stringify(view.error));
    const answers = view.answers!;
    const data = modelTracked.data;
    assert.equal(data.experimentName, tracked.experimentPattern.replace('{taxi}', 'green'));
    const found = await mlflow.searchRuns({ experimentIds: [data.experimentId], filter: `tags.\`taxi_mlops.run_id\` = '${runId}'` });
    assert.deepEqual(found.map((r) => r.info.run_id), [data.mlflowRunId], 'exactly one MLflow run for the pipeline run');

    const run = await mlflow.getRun(data.mlflowRunId);
    assert.equal(run.info.status, 'FINISHED');
    const params = tagRecord(run.data.params);
    assert.equal(params.taxi_type, 'green');
    assert.equal(params.months, '2023-03');
    assert.match(params.source_url ?? '', /\/green_tripdata_2023-03\.parquet$/);
    assert.equal(params.features, 'PULocationID,DOLocationID');
    assert.equal(params.duration_min_minutes, '1');
    assert.equal(params.duration_max_minutes, '60');
    assert.equal(params.solver, 'exact-min-norm');

    const metrics = metricRecord(run);
    assert.deepEqual(
      [metrics.rows_loaded, metrics.rows_prepared, metrics.n_features, metrics.intercept, metrics.rmse_train, metrics.model_size_bytes],
      [answers.rows_loaded, answers.rows_prepared, answers.n_features, answers.intercept, answers.rmse_train, answers.model_size_bytes],
      'the metrics are the run answers',
    );
    for (const key of ['duration_ingest_ms', 'duration_features_ms', 'duration_train_ms']) assert.ok((metrics[key] ?? 0) > 0, `${key} > 0`);

    const tags = tagRecord(run.data.tags);
    const { json: gatewayView } = await tracked.stack.http('GET', `/runs/${runId}`);
    assert.equal(tags['taxi_mlops.run_id'], runId);
    assert.match(String(gatewayView.traceId), /^[0-9a-f]{32}$/);
    assert.equal(tags['taxi_mlops.trace_id'], gatewayView.traceId, 'the run carries the trace id the gateway reports');
    assert.equal(tags['mlflow.runName'], `green-2023-03-${runId}`);
    assert.equal(tags['taxi_mlops.origin'], 'gateway');

    // The training file as a dataset input, with its checksum and row count.
    const downloaded = (await tracked.stack.lastEvent('data.downloaded', runId))!.data.files[0]!;
    const raw = (await (await fetch(`${tracked.trackingUri}/api/2.0/mlflow/runs/get?run_id=${data.mlflowRunId}`)).json()) as {
      run: { inputs: { dataset_inputs: Array<{ tags: Array<{ key: string; value: string }>; dataset: { name: string; digest: string; profile?: string } }> } };
    };
    const inputs = raw.run.inputs.dataset_inputs;
    assert.deepEqual(
      inputs.map((input) => [input.dataset.name, input.dataset.digest, tagRecord(input.tags)['mlflow.data.context']]),
      [['green_tripdata_2023-03', downloaded.sha256.slice(0, 32), 'training']],
    );
    assert.equal((JSON.parse(inputs[0]!.dataset.profile ?? '{}') as { num_rows?: number }).num_rows, downloaded.rows);

    const artifactUri = run.info.artifact_uri!;
    assert.deepEqual((await mlflow.listArtifacts(artifactUri)).map((f) => f.path).sort(), ['answers.json', 'answers.md', 'plots']);
    const logged = JSON.parse((await mlflow.downloadArtifact(artifactUri, 'answers.json')).toString('utf8')) as Record<string, unknown>;
    for (const key of ['rows_loaded', 'rows_prepared', 'n_features', 'intercept', 'rmse_train', 'model_size_bytes']) assert.equal(logged[key], answers[key], `answers.json ${key}`);
    assert.match((await mlflow.downloadArtifact(artifactUri, 'plots/predicted_vs_actual.svg')).toString('utf8'), /<circle /);
  });

  void it('logs the trainer’s model as a READY LoggedModel of the run (MLmodel size = the answer) and makes its version the champion', { timeout: 60_000 }, async () => {
    const data = modelTracked.data;
    const run = await mlflow.getRun(data.mlflowRunId);
    const modelId = run.outputs.model_outputs[0]?.model_id;
    assert.ok(modelId, 'the run has a model output');
    const model = await mlflow.getLoggedModel(modelId);
    assert.equal(model.info.status, 'LOGGED_MODEL_READY');
    assert.equal(model.info.source_run_id, data.mlflowRunId);
    const mlmodel = parseYaml((await mlflow.downloadArtifact(model.info.artifact_uri, 'MLmodel')).toString('utf8')) as { model_size_bytes: number };
    assert.equal(mlmodel.model_size_bytes, view.answers?.model_size_bytes);
    const modelDir = String(view.answers?.model_dir);
    assert.deepEqual(await mlflow.downloadArtifact(model.info.artifact_uri, 'model.onnx'), await readFile(join(modelDir, 'model.onnx')), 'the trainer’s ONNX file, unchanged');

    assert.equal(data.registeredModel, tracked.registeredModel);
    assert.equal(data.champion, true);
    const champion = await mlflow.getModelVersionByAlias(tracked.registeredModel, 'champion');
    assert.equal(champion?.version, data.modelVersion);
    assert.equal(champion?.run_id, data.mlflowRunId);
    assert.equal(champion?.source, `models:/${modelId}`);
  });

  void it('predicts the same on 100 trips with mlflow.pyfunc on models:/<name>@champion, loadPredictor on the model directory, and POST /predict', { timeout: 180_000 }, async () => {
    const rows = trips();
    const typescript = (await loadPredictor(String(view.answers?.model_dir))).predictBatch(rows);

    const dir = await mkdtemp(join(tmpdir(), 'taxi-e2e-rows-'));
    let python: { predictions: number[]; model_size_bytes: number };
    try {
      await writeFile(join(dir, 'rows.json'), JSON.stringify(rows));
      const modelUri = `models:/${tracked.registeredModel}@champion`;
      const { stdout } = await exec(join(repoRoot, '.venv-mlflow/bin/python'), [join(repoRoot, 'python/check_registry.py'), tracked.trackingUri, modelUri, join(dir, 'rows.json')], { timeout: 170_000, maxBuffer: 10_000_000 });
      python = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof python;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal(python.model_size_bytes, view.answers?.model_size_bytes);

    const { status, json } = await tracked.stack.http('POST', '/predict', { rows });
    assert.equal(status, 200, JSON.stringify(json));
    const served = json as { durations: number[]; model: { name: string; version: string } };
    assert.deepEqual(served.model.name, tracked.registeredModel);
    assert.equal(served.model.version, modelTracked.data.modelVersion, 'the gateway serves the champion version');

    assert.equal(python.predictions.length, rows.length);
    assert.equal(served.durations.length, rows.length);
    assert.ok(new Set(typescript.map((v) => v.toFixed(3))).size > 10, 'the trips give varied predictions');
    rows.forEach((row, i) => {
      const at = `row ${i} ${JSON.stringify(row)}`;
      assert.ok(Math.abs(python.predictions[i]! - typescript[i]!) <= 1e-6, `${at}: pyfunc ${python.predictions[i]} vs TypeScript ${typescript[i]}`);
      assert.ok(Math.abs(served.durations[i]! - typescript[i]!) <= 1e-6, `${at}: POST /predict ${served.durations[i]} vs TypeScript ${typescript[i]}`);
    });
  });
});
