// The tracker against a real MLflow server (scripts/mlflow-server.sh) and real NATS JetStream.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createEvent } from '@taxi-mlops/contracts';
import { loadPredictor } from '@taxi-mlops/model-format';
import { createLogger, startTelemetry, type Bus, type Telemetry } from '@taxi-mlops/runtime';
import { championModel } from '@taxi-mlops/mlflow-client';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import type { MlflowTrackerConfig } from '../src/mlflow/config';
import { RUN_ID_TAG } from '../src/mlflow/run-record';
import { metricRecord, tagRecord } from '@taxi-mlops/mlflow-client';
import { startMlflowTracker, type MlflowTracker } from '../src/mlflow/tracker';
import { fixtureRun, sampleRows, type FixtureRun } from './support/mlflow-fixtures';
import { countEvents, publishRun, testBus, testConfig, waitForEvent, waitUntilSettled } from './support/mlflow-pipeline';
import { REPO_ROOT, startMlflowServer } from './support/mlflow-server';

const exec = promisify(execFile);
const DURABLE = 'tracker-bridge-mlflow--model-trained';

void describe('MLflow tracker: pipeline events → one MLflow run, a logged model, the registry', () => {
  let bus: Bus;
  let config: MlflowTrackerConfig;
  let client: MlflowClient;
  let tracker: MlflowTracker;
  let telemetry: Telemetry;
  const runs: FixtureRun[] = [];
  const start = () => startMlflowTracker({ bus, logger: createLogger({ service: 'tracker-bridge', level: 'error' }), config, backoffMs: [200, 500] });

  before(async () => {
    // A real tracer provider (nothing exported): trace context travels in the NATS headers.
    telemetry = startTelemetry({ serviceName: 'tracker-bridge-test', env: {} });
    const uri = await startMlflowServer();
    bus = await testBus();
    config = await testConfig(uri);
    client = new MlflowClient({ trackingUri: uri });
    tracker = await start();
  });

  after(async () => {
    await tracker?.stop();
    await bus?.deleteStreams();
    await bus?.close();
    for (const run of runs) await rm(run.dir, { recursive: true, force: true });
    if (config) await rm(config.MLFLOW_MODEL_CACHE_DIR, { recursive: true, force: true });
    await telemetry?.shutdown();
  });

  const track = async (run: FixtureRun) => {
    runs.push(run);
    await publishRun(bus, run);
    return (await waitForEvent(bus, run.runId, 'model.tracked')).data;
  };

  void it('records the run with params, metrics, tags, dataset inputs, answers, plot and the model', async () => {
    const run = await fixtureRun({ seed: 1, noise: 4, validationNoise: 5, prefectFlowRunId: 'prefect-flow-run-1' });
    const tracked = await track(run);
    const started = await waitForEvent(bus, run.runId, 'stage.started');
    assert.equal(started.data.stage, 'track');

    const mlflowRun = await client.getRun(tracked.mlflowRunId);
    assert.equal(mlflowRun.info.status, 'FINISHED');
    assert.equal(tracked.experimentName, config.MLFLOW_EXPERIMENT_NAME.replace('{taxi}', 'yellow'));
    assert.equal(mlflowRun.info.experiment_id, tracked.experimentId);
    const params = tagRecord(mlflowRun.data.params);
    assert.equal(params['taxi_type'], 'yellow');
    assert.equal(params['months'], '2023-03');
    assert.equal(params['validation_month'], '2023-04');
    assert.equal(params['solver'], 'exact-min-norm');
    assert.equal(params['duration_min_minutes'], '1');
    assert.equal(params['duration_max_minutes'], '60');
    assert.match(params['source_url'] ?? '', /yellow_tripdata_2023-03\.parquet$/);
    const metrics = metricRecord(mlflowRun);
    assert.equal(metrics['rows_prepared'], run.model.rowsTrain);
    assert.equal(metrics['rows_loaded'], run.model.rowsTrain + 17);
    assert.equal(metrics['n_features'], run.model.nFeatures);
    assert.equal(metrics['intercept'], run.model.intercept);
    assert.equal(metrics['rmse_train'], run.model.rmseTrain);
    assert.equal(metrics['rmse_val'], run.model.rmseVal);
    assert.equal(metrics['model_size_bytes'], run.model.modelSizeBytes);
    for (const key of ['duration_ingest_ms', 'duration_features_ms', 'duration_train_ms']) assert.ok(key in metrics, key);
    const tags = tagRecord(mlflowRun.data.tags);
    assert.equal(tags['mlflow.runName'], `yellow-2023-03-${run.runId}`);
    assert.equal(tags[RUN_ID_TAG], run.runId);
    assert.equal(tags['taxi_mlops.prefect_flow_run_id'], 'prefect-flow-run-1');
    assert.equal(tags['mlflow.source.name'], 'taxi-mlops/services/trainer');
    assert.equal(tags['mlflow.user'], 'taxi-mlops');
    assert.match(tags['taxi_mlops.trace_id'] ?? '', /^(?!0+$)[0-9a-f]{32}$/);

    const inputs = mlflowRun.inputs.dataset_inputs.map((input) => [input.dataset.name, input.dataset.digest, tagRecord(input.tags)['mlflow.data.context']]);
    assert.deepEqual(inputs.sort(), [
      ['yellow_tripdata_2023-03', run.events.downloaded.data.files[0]!.sha256.slice(0, 32), 'training'],
      ['yellow_tripdata_2023-04', run.events.downloaded.data.validation!.sha256.slice(0, 32), 'validation'],
    ]);

    const artifactUri = mlflowRun.info.artifact_uri!;
    const files = (await client.listArtifacts(artifactUri)).map((file) => file.path).sort();
    assert.deepEqual(files, ['answers.json', 'answers.md', 'plots']);
    const answers = JSON.parse((await client.downloadArtifact(artifactUri, 'answers.json')).toString('utf8')) as Record<string, unknown>;
    assert.equal(answers['intercept'], run.model.intercept);
    assert.equal(answers['model_size_bytes'], run.model.modelSizeBytes);
    const svg = (await client.downloadArtifact(artifactUri, 'plots/predicted_vs_actual.svg')).toString('utf8');
    assert.match(svg, /<circle /);

    // MLflow 3: a LoggedModel whose source is this run, linked as its output, READY.
    const modelId = mlflowRun.outputs.model_outputs[0]?.model_id;
    assert.ok(modelId, 'the run has a model output');
    const model = await client.getLoggedModel(modelId);
    assert.equal(model.info.status, 'LOGGED_MODEL_READY');
    assert.equal(model.info.source_run_id, tracked.mlflowRunId);
    const mlmodel = parseYaml((await client.downloadArtifact(model.info.artifact_uri, 'MLmodel')).toString('utf8')) as { model_size_bytes: number; flavors: object };
    assert.equal(mlmodel.model_size_bytes, run.model.modelSizeBytes);
    assert.deepEqual(Object.keys(mlmodel.flavors).sort(), ['onnx', 'python_function']);
    const onnx = await client.downloadArtifact(model.info.artifact_uri, 'model.onnx');
    assert.deepEqual(onnx, await readFile(join(run.model.modelDir, 'model.onnx')), 'the model is uploaded unchanged');

    // Registry: the first version is the champion.
    assert.equal(tracked.registeredModel, config.MLFLOW_REGISTERED_MODEL);
    assert.equal(tracked.champion, true);
    const champion = await client.getModelVersionByAlias(config.MLFLOW_REGISTERED_MODEL, 'champion');
    assert.equal(champion?.version, tracked.modelVersion);
    assert.equal(champion?.run_id, tracked.mlflowRunId);
    assert.equal(champion?.source, `models:/${modelId}`);
  });

  void it('serves the champion to Python (pyfunc) and to championModel() with the same predictions as loadPredictor', async () => {
    const run = runs[0]!;
    const rows = sampleRows(100);
    const expected = (await loadPredictor(run.model.modelDir)).predictBatch(rows);
    const dir = await mkdtemp(join(tmpdir(), 'mlflow-rows-'));
    try {
      const rowsPath = join(dir, 'rows.json');
      await writeFile(rowsPath, JSON.stringify(rows));
      const modelUri = `models:/${config.MLFLOW_REGISTERED_MODEL}@champion`;
      const { stdout } = await exec(`${REPO_ROOT}.venv-mlflow/bin/python`, [`${REPO_ROOT}python/check_registry.py`, config.MLFLOW_TRACKING_URI, modelUri, rowsPath], {
        timeout: 180_000,
        maxBuffer: 10_000_000,
      });
      const python = JSON.parse(stdout.trim().split('\n').pop()!) as { predictions: number[]; model_size_bytes: number };
      assert.equal(python.predictions.length, 100);
      python.predictions.forEach((value, i) => assert.ok(Math.abs(value - expected[i]!) <= 1e-6, `row ${i}: python ${value} vs ts ${expected[i]}`));
      assert.equal(python.model_size_bytes, run.model.modelSizeBytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const local = await championModel({ trackingUri: config.MLFLOW_TRACKING_URI, registeredModel: config.MLFLOW_REGISTERED_MODEL, cacheDir: config.MLFLOW_MODEL_CACHE_DIR });
    assert.equal(local.version, (await client.getModelVersionByAlias(config.MLFLOW_REGISTERED_MODEL, 'champion'))?.version);
    assert.deepEqual((await loadPredictor(local.dir)).predictBatch(rows), expected);
    assert.deepEqual(await readFile(join(local.dir, 'MLmodel')), await readFile(join(run.model.modelDir, 'MLmodel')));
  });

  void it('records a redelivered model.trained, across a tracker restart, as the same single run', async () => {
    const run = runs[0]!;
    await tracker.stop();
    // A new message id: JetStream stores it again, as after a producer retry outside the duplicate window.
    await bus.publish(run.events.trained, { msgId: `${run.runId}:model.trained:again` });
    tracker = await start();
    await waitUntilSettled(bus, DURABLE);

    const experiment = await client.getExperimentByName(config.MLFLOW_EXPERIMENT_NAME.replace('{taxi}', 'yellow'));
    const found = await client.searchRuns({ experimentIds: [experiment!.experiment_id], filter: `tags.\`${RUN_ID_TAG}\` = '${run.runId}'` });
    assert.equal(found.length, 1);
    const versions = await client.searchModelVersions(`name='${config.MLFLOW_REGISTERED_MODEL}' and run_id='${found[0]!.info.run_id}'`);
    assert.equal(versions.length, 1);
    assert.equal(await countEvents(bus, run.runId, 'model.trained'), 2);
    assert.equal(await countEvents(bus, run.runId, 'model.tracked'), 1);
  });

  void it('moves the champion alias to a better model only', async () => {
    const first = runs[0]!;
    const worse = await fixtureRun({ seed: 1, noise: 4, validationNoise: 9 });
    const better = await fixtureRun({ seed: 1, noise: 4, validationNoise: 1 });
    assert.ok(worse.model.rmseVal! > first.model.rmseVal! && better.model.rmseVal! < first.model.rmseVal!, 'fixture RMSEs are ordered');
    const championBefore = (await client.getModelVersionByAlias(config.MLFLOW_REGISTERED_MODEL, 'champion'))?.version;

    const worseTracked = await track(worse);
    assert.equal(worseTracked.champion, false);
    assert.equal((await client.getModelVersionByAlias(config.MLFLOW_REGISTERED_MODEL, 'champion'))?.version, championBefore);

    const betterTracked = await track(better);
    assert.equal(betterTracked.champion, true);
    assert.equal((await client.getModelVersionByAlias(config.MLFLOW_REGISTERED_MODEL, 'champion'))?.version, betterTracked.modelVersion);
    assert.notEqual(betterTracked.modelVersion, worseTracked.modelVersion);
  });

  void it('fails the track stage with a clear message when the model directory is missing', async () => {
    const run = await fixtureRun({ seed: 7, noise: 4 });
    runs.push(run);
    const trained = createEvent('model.trained', run.runId, { ...run.events.trained.data, modelUri: join(run.dir, 'no-such-model') }, '/services/trainer');
    const { requested, downloaded, features } = run.events;
    for (const event of [requested, downloaded, features, trained]) await bus.publish(event);
    const failed = await waitForEvent(bus, run.runId, 'run.failed');
    assert.equal(failed.data.stage, 'track');
    assert.equal(failed.data.code, 'artifact_missing');
    assert.match(failed.data.message, /model\.trained modelUri: cannot read the model directory .*no-such-model/);
  });
});
