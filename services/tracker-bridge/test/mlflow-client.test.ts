// The REST client against the real MLflow server: error classes, limits, artifacts.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import { MlflowHttp, MlflowRequestError, MlflowUnavailableError } from '@taxi-mlops/mlflow-client';
import { metricRecord, tagRecord } from '@taxi-mlops/mlflow-client';
import { startMlflowServer, uniqueSuffix } from './support/mlflow-server';

void describe('MlflowClient', () => {
  let client: MlflowClient;
  before(async () => {
    client = new MlflowClient({ trackingUri: await startMlflowServer() });
  });

  void it('reads the server version and chooses the MLflow 3 model path', async () => {
    assert.match(await client.serverVersion(), /^\d+\.\d+\.\d+/);
    assert.equal(await client.supportsLoggedModels(), Number((await client.serverVersion()).split('.')[0]) >= 3);
  });

  void it('gets or creates an experiment once, whatever the number of calls', async () => {
    const name = `client-test-${uniqueSuffix()}`;
    assert.equal(await client.getExperimentByName(name), undefined);
    const [a, b] = await Promise.all([client.getOrCreateExperiment(name), client.getOrCreateExperiment(name)]);
    assert.equal(a.experiment_id, b.experiment_id);
    assert.match(a.artifact_location ?? '', /^mlflow-artifacts:/);
  });

  void it('logs batches beyond one request (150 params), finds the run by tag and round-trips an artifact', async () => {
    const experiment = await client.getOrCreateExperiment(`client-test-${uniqueSuffix()}`);
    const run = await client.createRun({ experimentId: experiment.experiment_id, runName: 'r', startTime: 1_700_000_000_000, tags: { 'mlflow.runName': 'r', 'k.x': 'v' } });
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, String(i)]));
    const metrics = [
      { key: 'm', value: 1.5, timestamp: 1 },
      { key: 'nan', value: Number.NaN, timestamp: 1 },
    ];
    await client.logBatch({ runId: run.info.run_id, params, metrics });
    await client.logBatch({ runId: run.info.run_id, params, metrics }); // same values again: accepted
    const read = await client.getRun(run.info.run_id);
    assert.equal(read.data.params.length, 150);
    assert.equal(metricRecord(read)['m'], 1.5);
    assert.ok(Number.isNaN(metricRecord(read)['nan']));
    assert.equal(tagRecord(read.data.tags)['mlflow.runName'], 'r');

    const found = await client.searchRuns({ experimentIds: [experiment.experiment_id], filter: "tags.`k.x` = 'v'" });
    assert.deepEqual(found.map((r) => r.info.run_id), [run.info.run_id]);

    const bytes = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>');
    await client.uploadArtifact(run.info.artifact_uri!, 'plots/a b.svg', bytes, 'image/svg+xml');
    assert.deepEqual(await client.downloadArtifact(run.info.artifact_uri!, 'plots/a b.svg'), bytes);
    assert.deepEqual((await client.listArtifacts(run.info.artifact_uri!, 'plots')).map((f) => f.path), ['a b.svg']);
  });

  void it('reports a refused request with MLflow error code, and a changed param as refused', async () => {
    const experiment = await client.getOrCreateExperiment(`client-test-${uniqueSuffix()}`);
    const run = await client.createRun({ experimentId: experiment.experiment_id, runName: 'r', startTime: 1, tags: {} });
    await client.logBatch({ runId: run.info.run_id, params: { a: '1' } });
    await assert.rejects(client.logBatch({ runId: run.info.run_id, params: { a: '2' } }), (error) => error instanceof MlflowRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE');
    await assert.rejects(client.getRun('0'.repeat(32)), (error) => error instanceof MlflowRequestError && error.status === 404 && error.errorCode === 'RESOURCE_DOES_NOT_EXIST');
    assert.equal(await client.getModelVersionByAlias(`no-such-model-${uniqueSuffix()}`, 'champion'), undefined);
  });

  void it('refuses artifact URIs the proxy cannot serve, naming the URI', () => {
    assert.throws(() => client.artifactPath('file:///tmp/x', 'a'), /"file:\/\/\/tmp\/x" is not served by the tracking server/);
    assert.throws(() => client.artifactPath('mlflow-artifacts:/1/x', '../etc/passwd'), /contains "\.\."/);
    assert.equal(client.artifactPath('mlflow-artifacts://host:5000/1/r/artifacts', 'model/MLmodel'), '/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/model/MLmodel');
  });

  void it('reports a server that is not there as unavailable (retry later), and a bad URI by name', async () => {
    const down = new MlflowClient({ trackingUri: 'http://127.0.0.1:9' });
    await assert.rejects(down.getExperimentByName('x'), (error) => error instanceof MlflowUnavailableError && /127\.0\.0\.1:9 unreachable/.test(error.message));
    assert.throws(() => new MlflowHttp({ trackingUri: 'ftp://x' }), /MLFLOW_TRACKING_URI: "ftp:\/\/x" must be http\(s\)/);
  });
});
