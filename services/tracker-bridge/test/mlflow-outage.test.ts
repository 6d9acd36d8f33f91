// MLflow down must not lose or duplicate a run: the tracker retries until MLflow is back.
// Uses its own MLflow server (port 5055, its own data folder) so stopping it disturbs no other test.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createLogger, type Bus } from '@taxi-mlops/runtime';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import type { MlflowTrackerConfig } from '../src/mlflow/config';
import { RUN_ID_TAG, TRACKED_TAG } from '../src/mlflow/run-record';
import { tagRecord } from '@taxi-mlops/mlflow-client';
import { startMlflowTracker, type MlflowTracker } from '../src/mlflow/tracker';
import { fixtureRun, type FixtureRun } from './support/mlflow-fixtures';
import { countEvents, publishRun, testBus, testConfig, waitForEvent } from './support/mlflow-pipeline';
import { startMlflowServer, stopMlflowServer } from './support/mlflow-server';

const SERVER = { port: Number(process.env['MLFLOW_OUTAGE_TEST_PORT'] ?? 5055) };
const DURABLE = 'tracker-bridge-mlflow--model-trained';

void describe('MLflow tracker while MLflow is down', () => {
  let bus: Bus;
  let config: MlflowTrackerConfig;
  let tracker: MlflowTracker | undefined;
  let run: FixtureRun | undefined;

  before(async () => {
    config = await testConfig(await startMlflowServer(SERVER));
    bus = await testBus();
  });

  after(async () => {
    await tracker?.stop();
    await bus?.deleteStreams();
    await bus?.close();
    if (run) await rm(run.dir, { recursive: true, force: true });
    if (config) await rm(config.MLFLOW_MODEL_CACHE_DIR, { recursive: true, force: true });
    await stopMlflowServer(SERVER);
  });

  void it('keeps retrying while MLflow is stopped, then records the run once, complete', async () => {
    await stopMlflowServer(SERVER);
    tracker = await startMlflowTracker({ bus, logger: createLogger({ service: 'tracker-bridge', level: 'silent' }), config, backoffMs: [300, 600, 1000] });
    run = await fixtureRun({ seed: 3, noise: 4, validationNoise: 5 });
    await publishRun(bus, run);

    // Wait for the tracker to have failed and retried at least twice against the stopped server.
    for (;;) {
      const info = await bus.jsm.consumers.info(bus.names.stream, DURABLE);
      if (info.delivered.consumer_seq >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(await countEvents(bus, run.runId, 'model.tracked'), 0);
    assert.equal(await countEvents(bus, run.runId, 'run.failed'), 0, 'MLflow being down does not fail the run');

    await startMlflowServer(SERVER);
    const tracked = (await waitForEvent(bus, run.runId, 'model.tracked', 180_000)).data;

    const client = new MlflowClient({ trackingUri: config.MLFLOW_TRACKING_URI });
    const found = await client.searchRuns({ experimentIds: [tracked.experimentId], filter: `tags.\`${RUN_ID_TAG}\` = '${run.runId}'` });
    assert.equal(found.length, 1);
    const mlflowRun = found[0]!;
    assert.equal(mlflowRun.info.run_id, tracked.mlflowRunId);
    assert.equal(mlflowRun.info.status, 'FINISHED');
    assert.equal(tagRecord(mlflowRun.data.tags)[TRACKED_TAG], 'true');
    assert.equal(mlflowRun.data.params.length, 9);
    assert.ok(mlflowRun.data.metrics.some((metric) => metric.key === 'rmse_val'));
    const model = await client.getLoggedModel(mlflowRun.outputs.model_outputs[0]!.model_id);
    assert.equal(model.info.status, 'LOGGED_MODEL_READY');
    assert.equal((await client.getModelVersionByAlias(config.MLFLOW_REGISTERED_MODEL, 'champion'))?.version, tracked.modelVersion);
    assert.equal(await countEvents(bus, run.runId, 'model.tracked'), 1);
  });
});
