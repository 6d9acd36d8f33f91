// Acceptance: the Prefect criteria with everything real - ingest, features, trainer, the gateway and
// the tracker-bridge as child processes on NATS and PostgreSQL, real TLC files over HTTP, and the
// real Prefect and MLflow servers. Flow runs are started through Prefect's API as the UI does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Envelope } from '@taxi-mlops/contracts';
import { ANSWERS_MARKER } from '../../services/tracker-bridge/src/prefect/answers';
import { runIdForFlowRun } from '../../services/tracker-bridge/src/prefect/claim';
import { realDataDir, realDataMissing } from '../support/real-data';
import { localAnswers, type LocalAnswers } from './support/local-answers';
import { markdownTable, PrefectUser, waitFor } from './support/prefect-runs';
import { startTrackedStack, type TrackedStack } from './support/tracked-stack';

const int = (value: unknown) => Number(value).toLocaleString('en-US');

void describe('e2e: Prefect mirrors and starts real pipeline runs', { skip: realDataMissing }, () => {
  let tracked: TrackedStack;
  let prefect: PrefectUser;
  let expected: LocalAnswers;
  /** run.completed's answers of the homework run, for model-inspection. */
  let homeworkAnswers: Record<string, unknown> | undefined;

  before(async () => {
    [expected, tracked] = await Promise.all([
      localAnswers(join(realDataDir, 'green_tripdata_2023-03.parquet'), { taxi: 'green', year: 2023, month: 3 }),
      startTrackedStack({ realDataDir, prefect: true }),
    ]);
    prefect = new PrefectUser(tracked.prefectApiUrl, tracked.flowSuffix);
  });
  after(() => tracked?.stop());

  const events = (runId: string) => tracked.stack.runEvents(runId, 30_000);

  void it('registers the three deployments, READY, with model-inspection defaulting to the experiment the homework default writes to', { timeout: 60_000 }, async () => {
    for (const key of ['homework-complete-solution', 'data-download', 'model-inspection'] as const) {
      const deployment = await waitFor(`${key} READY`, async () => {
        const d = await prefect.deployment(key);
        return d.status === 'READY' ? d : undefined;
      });
      assert.equal(deployment.name, key);
    }
    const homework = await prefect.deployment('homework-complete-solution');
    assert.deepEqual(homework.parameters, { year: 2023, month: 3, taxi_type: 'yellow' });
    // The MLflow part writes a yellow run (the default) to the pattern with {taxi} = yellow.
    const inspection = await prefect.deployment('model-inspection');
    assert.deepEqual(inspection.parameters, { experiment_name: tracked.experimentPattern.replace('{taxi}', 'yellow') });
  });

  void it('Quick Run of homework-complete-solution with green 2023-03 trains on that month and completes with the local command’s answers', { timeout: 180_000 }, async () => {
    const flowRunId = await prefect.quickRun('homework-complete-solution', { year: 2023, month: 3, taxi_type: 'green' });
    await prefect.waitForState(flowRunId, 'COMPLETED', 150_000);
    const runId = runIdForFlowRun(flowRunId);

    // The parameters were honoured: green 2023-03 was requested and downloaded, not the yellow default.
    const runEvents = await events(runId);
    const requested = runEvents.find((e) => e.type === 'run.requested') as Envelope<'run.requested'>;
    assert.equal(requested.data.taxi, 'green');
    assert.deepEqual(requested.data.months, [{ year: 2023, month: 3 }]);
    const downloaded = runEvents.find((e) => e.type === 'data.downloaded') as Envelope<'data.downloaded'>;
    assert.match(downloaded.data.files[0]!.sourceUrl, /\/green_tripdata_2023-03\.parquet$/);
    const completed = runEvents.find((e) => e.type === 'run.completed') as Envelope<'run.completed'>;
    homeworkAnswers = completed.data.answers;

    const tasks = await prefect.taskRuns(flowRunId);
    assert.deepEqual(tasks.map((t) => t.name), ['download', 'features', 'train', 'track']);
    for (const task of tasks) {
      assert.equal(task.state?.type, 'COMPLETED', `${task.name} completed`);
      assert.ok(task.start_time && task.end_time && Date.parse(task.end_time) > Date.parse(task.start_time), `${task.name} lasted > 0`);
    }
    for (let i = 1; i < tasks.length; i++) {
      assert.ok(Date.parse(tasks[i]!.start_time!) >= Date.parse(tasks[i - 1]!.end_time!), `${tasks[i]!.name} starts after ${tasks[i - 1]!.name} ends`);
    }

    const artifacts = await prefect.artifacts(flowRunId);
    const answers = artifacts.find((a) => a.key === 'homework-answers');
    assert.ok(answers, `answers artifact among ${artifacts.map((a) => a.key).join(', ')}`);
    const table = markdownTable(String(answers.data));
    assert.deepEqual(
      {
        rowsLoaded: table['Rows loaded'],
        rowsPrepared: table['Rows after preparation'],
        features: table['Feature count'],
        intercept: table['Intercept of the model'],
        rmse: table['Training RMSE'],
        size: table['Model size (bytes)'],
      },
      {
        rowsLoaded: int(expected.rows_loaded),
        rowsPrepared: int(expected.rows_prepared),
        features: int(expected.n_features),
        intercept: String(Number(Number(expected.intercept).toFixed(6))),
        rmse: String(Number(Number(expected.rmse_train).toFixed(6))),
        size: int(expected.model_size_bytes),
      },
      'the answers artifact holds the numbers of the local command on the same file',
    );
    assert.match(table['MLflow run'] ?? '', /^\[[0-9a-f]{32}\]\(http:\/\/127\.0\.0\.1:5000\/#\/experiments\/\d+\/runs\/[0-9a-f]{32}\)$/);

    // The services' own log lines and the answers block are in the flow run's logs.
    const logs = await prefect.logs(flowRunId);
    for (const service of ['ingest', 'features', 'trainer']) assert.ok(logs.some((log) => log.name === `pipeline.${service}`), `a forwarded ${service} log line`);
    assert.equal(logs.filter((log) => log.message.includes(ANSWERS_MARKER)).length, 1);
  });

  void it('data-download for green 2023-02 completes after ingest; features never run for it', { timeout: 120_000 }, async () => {
    const flowRunId = await prefect.quickRun('data-download', { year: 2023, month: 2, taxi_type: 'green' });
    await prefect.waitForState(flowRunId, 'COMPLETED');
    const runId = runIdForFlowRun(flowRunId);
    const tasks = await prefect.taskRuns(flowRunId);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), [['download', 'COMPLETED']]);
    const report = (await prefect.artifacts(flowRunId)).find((a) => a.key === 'data-download-report');
    const downloaded = (await tracked.stack.lastEvent('data.downloaded', runId))?.data.files[0];
    assert.equal(downloaded?.month, 2);
    assert.ok(String(report?.data).includes(`| 2023-02 | ${int(downloaded.rows)} |`), String(report?.data));
    // The features service has seen the run's data.downloaded and left it alone.
    await tracked.stack.waitForLogLines((line) => line.runId === runId && line.msg === 'download-only run (stopAfter ingest); features not computed', 1);
    assert.equal(await tracked.stack.countEvents('features.ready', runId), 0);
    assert.equal(await tracked.stack.countEvents('model.trained', runId), 0);
  });

  void it('model-inspection reports the model the homework run logged', { timeout: 60_000 }, async () => {
    assert.ok(homeworkAnswers, 'the homework run ran first');
    const flowRunId = await prefect.quickRun('model-inspection', { experiment_name: tracked.experimentPattern.replace('{taxi}', 'green') });
    const state = await prefect.waitForState(flowRunId, 'COMPLETED');
    assert.match(state.message ?? '', /^Model of run [0-9a-f]{32}$/);
    const report = (await prefect.artifacts(flowRunId)).find((a) => a.key === 'model-inspection');
    const table = markdownTable(String(report?.data));
    assert.deepEqual(
      { intercept: table.Intercept, features: table['Feature count'], size: table['Model size (bytes)'] },
      { intercept: String(homeworkAnswers.intercept), features: int(homeworkAnswers.n_features), size: int(homeworkAnswers.model_size_bytes) },
      String(report?.data),
    );
  });

  void it('a run cancelled in Prefect while features run ends CANCELLED, and no model.trained follows', { timeout: 180_000 }, async () => {
    // Swap in a features instance that holds every run for a while after stage.started: the
    // real month takes well under a second, too short a window to press Cancel in; 30 s leaves
    // room for a loaded CI machine (the bridge must see RUNNING, then the cancel must travel back).
    const normal = tracked.stack.services.filter((s) => s.label.startsWith('features-'));
    await Promise.all(normal.map((s) => s.stop()));
    const slow = await tracked.stack.startService('features', { FEATURES_TEST_DELAY_MS: '30000' });
    try {
      const flowRunId = await prefect.quickRun('homework-complete-solution', { year: 2023, month: 1, taxi_type: 'green' });
      const runId = runIdForFlowRun(flowRunId);
      await waitFor('features task RUNNING', async () => (await prefect.taskRuns(flowRunId)).find((t) => t.name === 'features' && t.state?.type === 'RUNNING'), 60_000);
      // What the UI's Cancel button sends.
      const result = await prefect.client.setFlowRunState(flowRunId, { type: 'CANCELLING', name: 'Cancelling' });
      assert.equal(result.status, 'ACCEPT');
      await prefect.waitForState(flowRunId, 'CANCELLED');
      const cancelled = await tracked.stack.lastEvent('run.cancelled', runId);
      assert.equal(cancelled?.data.by, 'prefect');
      // The features stage finished its wait and dropped the result: nothing more can follow.
      await slow.waitForLine((line) => line.runId === runId && line.msg === 'run was cancelled during features; features.ready not emitted', 'features dropped the cancelled run', 120_000);
      assert.equal(await tracked.stack.countEvents('features.ready', runId), 0);
      assert.equal(await tracked.stack.countEvents('model.trained', runId), 0);
      const tasks = await prefect.taskRuns(flowRunId);
      assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), [['download', 'COMPLETED'], ['features', 'CANCELLED']]);
    } finally {
      await slow.stop();
      await tracked.stack.startService('features');
    }
  });

  void it('a month the TLC server does not have (green 2020-05, HTTP 404) ends FAILED with the error in the flow run logs', { timeout: 120_000 }, async () => {
    const flowRunId = await prefect.quickRun('homework-complete-solution', { year: 2020, month: 5, taxi_type: 'green' });
    const state = await prefect.waitForState(flowRunId, 'FAILED');
    const failed = await tracked.stack.lastEvent('run.failed', runIdForFlowRun(flowRunId));
    assert.ok(failed, 'run.failed on the bus');
    assert.equal(failed.data.code, 'not_found');
    assert.match(failed.data.message, /HTTP 404/);
    assert.ok(state.message?.includes('HTTP 404'), state.message ?? '');
    const logs = await prefect.logs(flowRunId);
    assert.ok(logs.some((log) => log.level >= 40 && log.message.includes(failed.data.message)), 'the error is logged at ERROR in the flow run');
    const tasks = await prefect.taskRuns(flowRunId);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), [['download', 'FAILED']]);
  });

  void it('a run started with POST /runs on the gateway appears as a flow run of homework-complete-solution and completes', { timeout: 180_000 }, async () => {
    const runId = await tracked.stack.postRun({ taxi: 'green', year: 2021, month: 1 });
    const homework = await prefect.deployment('homework-complete-solution');
    const flowRun = await waitFor('the gateway run as a flow run', async () => {
      const runs = await prefect.client.filterFlowRuns({ flow_runs: { name: { any_: [runId] } }, deployments: { id: { any_: [homework.id] } } });
      return runs[0];
    });
    assert.deepEqual(flowRun.parameters, { year: 2021, month: 1, taxi_type: 'green' });
    await prefect.waitForState(flowRun.id, 'COMPLETED', 150_000);
    const view = await tracked.stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'completed');
    // The bridge announced the flow run it made (run.mirrored), so the gateway links it.
    assert.equal((await tracked.stack.lastEvent('run.mirrored', runId))?.data.prefectFlowRunId, flowRun.id);
    const linked = await waitFor('the Prefect link in GET /runs/:id', async () => {
      const current = await tracked.stack.getRun(runId);
      return current.prefectFlowRunId ? current : undefined;
    });
    assert.equal(linked.prefectFlowRunId, flowRun.id);
    const tasks = await prefect.taskRuns(flowRun.id);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), ['download', 'features', 'train', 'track'].map((name) => [name, 'COMPLETED']));
    const table = markdownTable(String((await prefect.artifacts(flowRun.id)).find((a) => a.key === 'homework-answers')?.data));
    assert.equal(table['Intercept of the model'], String(Number(Number(view.answers?.intercept).toFixed(6))));
  });
});
