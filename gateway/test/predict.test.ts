// POST /predict against a real MLflow registry: the champion's predictions, reloaded when the alias moves.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import { loadPredictor, writeModelDirectory } from '@taxi-mlops/model-format';
import type { RunningGateway } from '../src/gateway';
import { ChampionPredictor } from '../src/predict/champion-predictor';
import { createTestDatabase, randomNamespace, startTestGateway, type TestDatabase } from './support';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

async function startMlflow(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [join(REPO_ROOT, 'scripts', 'mlflow-server.sh'), 'start'], { cwd: REPO_ROOT, timeout: 300_000 });
  return stdout.trim().split('\n').pop()!;
}

/** A small model with its own coefficients, registered as a new version of `name` and made champion. */
async function registerChampion(client: MlflowClient, name: string, dir: string, shift: number): Promise<string> {
  const featureNames = ['DOLocationID=1', 'DOLocationID=7', 'PULocationID=1', 'PULocationID=3'];
  await writeModelDirectory({ dir, intercept: 10 + shift, featureNames, coefficients: Float64Array.from([1.5, -2, 0.25 + shift, 3]) });
  const experiment = await client.getOrCreateExperiment(`predict-test-${name}`);
  const run = await client.createRun({ experimentId: experiment.experiment_id, runName: `v-${shift}`, startTime: Date.now(), tags: {} });
  const artifactUri = `${run.info.artifact_uri}/model`;
  for (const file of ['MLmodel', 'model.onnx']) await client.uploadArtifact(artifactUri, file, await readFile(join(dir, file)));
  await client.ensureRegisteredModel(name);
  const version = await client.createModelVersion({ name, source: artifactUri, runId: run.info.run_id });
  await client.setAlias(name, 'champion', version.version);
  return version.version;
}

describe('POST /predict', () => {
  let db: TestDatabase;
  let work: string;
  let trackingUri: string;
  let gateway: RunningGateway;
  let client: MlflowClient;
  const registeredModel = `predict-${randomBytes(4).toString('hex')}`;

  before(async () => {
    [db, work, trackingUri] = await Promise.all([createTestDatabase(), mkdtemp(join(tmpdir(), 'predict-')), startMlflow()]);
    client = new MlflowClient({ trackingUri });
    const champion = new ChampionPredictor({ trackingUri, registeredModel, cacheDir: join(work, 'cache'), refreshMs: 0 });
    gateway = await startTestGateway({ databaseUrl: db.url, namespace: randomNamespace(), overrides: { champion } });
  });

  after(async () => {
    await gateway?.stop();
    await db?.drop();
    await rm(work, { recursive: true, force: true });
  });

  const predict = (payload: unknown) => gateway.app.inject({ method: 'POST', url: '/predict', payload: payload as object });

  test('no champion yet: 503 problem naming the registered model', async () => {
    const response = await predict({ PULocationID: 1, DOLocationID: 7 });
    assert.equal(response.statusCode, 503);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    assert.match(response.json<{ detail: string }>().detail, new RegExp(registeredModel));
  });

  test('serves the champion, one trip or a batch, and follows the alias to a new version', async () => {
    const first = await registerChampion(client, registeredModel, join(work, 'model-a'), 0);
    const expectedA = await loadPredictor(join(work, 'model-a'));
    const one = await predict({ PULocationID: 3, DOLocationID: 7 });
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(one.json(), { duration: expectedA.predict(3, 7), model: { name: registeredModel, version: first, uri: `models:/${registeredModel}@champion` } });

    const rows = [{ PULocationID: 1, DOLocationID: 1 }, { PULocationID: 99, DOLocationID: 7 }, { PULocationID: -5, DOLocationID: 1000 }];
    const batch = await predict({ rows });
    assert.equal(batch.statusCode, 200, batch.body);
    assert.deepEqual(batch.json<{ durations: number[] }>().durations, expectedA.predictBatch(rows));

    const second = await registerChampion(client, registeredModel, join(work, 'model-b'), 5);
    const expectedB = await loadPredictor(join(work, 'model-b'));
    const moved = await predict({ PULocationID: 3, DOLocationID: 7 });
    assert.equal(moved.json<{ model: { version: string } }>().model.version, second);
    assert.equal(moved.json<{ duration: number }>().duration, expectedB.predict(3, 7));
    assert.notEqual(expectedB.predict(3, 7), expectedA.predict(3, 7), 'the two versions must predict differently');
  });

  test('bad bodies are 400 problems naming the field', async () => {
    const response = await predict({ PULocationID: 'x', DOLocationID: 7 });
    assert.equal(response.statusCode, 400);
    assert.match(response.json<{ errors: Array<{ field: string }> }>().errors[0]!.field, /PULocationID/);
    const missing = await predict({ PULocationID: 4 });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json<{ errors: Array<{ field: string }> }>().errors.map((e) => e.field), ['DOLocationID']);
    assert.equal((await predict({ rows: [] })).statusCode, 400);
  });

  test('without an MLflow server configured, predictions answer 503', async () => {
    const plain = await startTestGateway({ databaseUrl: db.url, namespace: randomNamespace() });
    try {
      const response = await plain.app.inject({ method: 'POST', url: '/predict', payload: { PULocationID: 1, DOLocationID: 1 } });
      assert.equal(response.statusCode, 503);
      assert.match(response.body, /MLFLOW_TRACKING_URI/);
    } finally {
      await plain.stop();
    }
  });
});
