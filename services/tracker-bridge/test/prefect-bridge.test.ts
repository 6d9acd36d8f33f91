import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '@taxi-mlops/runtime';
import { PrefectClient } from '../src/prefect/client';
import { runIdForFlowRun } from '../src/prefect/claim';
import { ANSWERS_MARKER } from '../src/prefect/answers';
import type { PrefectBridge } from '../src/prefect/bridge';
import type { PrefectBridgeConfig } from '../src/prefect/config';
import {
  connectTestBus,
  deleteTestStreams,
  emit,
  ensurePrefectServer,
  flowRunState,
  homework,
  playPipeline,
  runEvents,
  startTestBridge,
  taskRunsOf,
  testConfig,
  testNamespace,
  waitFor,
} from './support/prefect';

/** Real Prefect server (scripts/prefect-server.sh) and real NATS; the test plays the pipeline services. */
void describe('prefect bridge against a real Prefect server', () => {
  let apiUrl: string;
  let client: PrefectClient;
  let bus: Bus;
  let bridge: PrefectBridge;
  let config: PrefectBridgeConfig;
  const namespace = testNamespace();

  before(async () => {
    apiUrl = await ensurePrefectServer();
    client = new PrefectClient({ apiUrl });
    bus = await connectTestBus(namespace);
    config = testConfig(apiUrl, namespace);
    bridge = await startTestBridge(bus, config);
  });

  after(async () => {
    await bridge?.stop();
    if (bus) {
      await deleteTestStreams(bus);
      await bus.close();
    }
  });

  /** What the UI's Quick Run sends (prefect-rest.md §9.2). */
  async function quickRun(deployment: 'homework-complete-solution' | 'data-download' | 'model-inspection', parameters?: Record<string, unknown>) {
    const ref = bridge.deployments.get(deployment)!;
    const body: Record<string, unknown> = { state: { type: 'SCHEDULED', message: 'Run from the Prefect UI with defaults' } };
    if (parameters) body.parameters = parameters; // the Custom Run form adds its parameters
    // SQLite answers 503 "database is locked" now and then; the UI's user would click again.
    const response = await waitFor('create_flow_run', async () => {
      const r = await fetch(`${apiUrl}/deployments/${ref.id}/create_flow_run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.status === 503) return undefined;
      return r;
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as { id: string };
  }

  async function claimedRequest(flowRunId: string) {
    const runId = runIdForFlowRun(flowRunId);
    const request = await waitFor('run.requested', async () => (await runEvents(bus, runId)).find((e) => e.type === 'run.requested'));
    return { runId, request };
  }

  async function waitForState(flowRunId: string, type: string, timeoutMs = 30_000) {
    return waitFor(`flow run ${flowRunId} ${type}`, async () => {
      const state = await flowRunState(client, flowRunId);
      return state?.type === type ? state : undefined;
    }, timeoutMs);
  }

  void test('registers the three deployments with their parameters, and they turn READY while the bridge polls', async () => {
    for (const key of ['homework-complete-solution', 'data-download', 'model-inspection'] as const) {
      const ref = bridge.deployments.get(key);
      assert.ok(ref, `${key} registered`);
      const deployment = await waitFor(`${key} READY`, async () => {
        const d = await client.readDeployment(ref.id);
        return d.status === 'READY' ? d : undefined;
      });
      assert.equal(deployment.name, key);
      assert.ok(deployment.description && deployment.description.length > 20, 'described');
      assert.ok(deployment.tags.includes('tracker-bridge'));
    }
    const homeworkDeployment = await client.readDeployment(bridge.deployments.get('homework-complete-solution')!.id);
    assert.deepEqual(homeworkDeployment.parameters, { year: 2023, month: 3, taxi_type: 'yellow' });
    const properties = (homeworkDeployment.parameter_openapi_schema as { properties: Record<string, unknown> }).properties;
    assert.deepEqual(Object.keys(properties).sort(), ['month', 'taxi_type', 'year']);
    const inspection = await client.readDeployment(bridge.deployments.get('model-inspection')!.id);
    assert.ok('experiment_name' in inspection.parameters);
  });

  void test('Quick Run: the bridge claims the run, publishes run.requested, and mirrors every stage into task runs and an answers artifact', async () => {
    const flowRun = await quickRun('homework-complete-solution', { year: 2023, month: 3, taxi_type: 'yellow' });
    const { runId, request } = await claimedRequest(flowRun.id);
    assert.equal(request.type, 'run.requested');
    const data = request.data as { taxi: string; months: unknown; stopAfter: string; origin: Record<string, unknown> };
    assert.equal(data.taxi, 'yellow');
    assert.deepEqual(data.months, [{ year: 2023, month: 3 }]);
    assert.equal(data.stopAfter, 'train');
    assert.deepEqual(data.origin, { kind: 'prefect', prefectFlowRunId: flowRun.id, deployment: 'homework-complete-solution' });
    await waitForState(flowRun.id, 'RUNNING');

    await playPipeline(bus, runId);
    await waitForState(flowRun.id, 'COMPLETED');

    const tasks = await taskRunsOf(client, flowRun.id);
    assert.deepEqual(tasks.map((t) => t.name), ['download', 'features', 'train', 'track']);
    for (const task of tasks) {
      assert.equal(task.state?.type, 'COMPLETED', `${task.name} completed`);
      assert.ok(task.start_time && task.end_time && Date.parse(task.end_time) > Date.parse(task.start_time), `${task.name} has a duration > 0`);
    }
    for (let i = 1; i < tasks.length; i++) {
      assert.ok(Date.parse(tasks[i]!.start_time!) >= Date.parse(tasks[i - 1]!.end_time!), `${tasks[i]!.name} starts after ${tasks[i - 1]!.name} ends`);
      assert.deepEqual(Object.values(tasks[i]!.task_inputs).flat(), [{ input_type: 'task_run', id: tasks[i - 1]!.id }], `${tasks[i]!.name} depends on ${tasks[i - 1]!.name}`);
    }

    const artifacts = await client.filterArtifacts({ artifacts: { flow_run_id: { any_: [flowRun.id] } } });
    assert.equal(artifacts.length, 1);
    const markdown = String(artifacts[0]!.data);
    const version = await client.version();
    for (const expected of [`Prefect ${version}`, '3,403,766', '3,316,216', '518', '24.77', '7.649', '4,534', 'http://127.0.0.1:5000/#/experiments/1/runs/abc123']) {
      assert.ok(markdown.includes(expected), `artifact holds ${expected}:\n${markdown}`);
    }
    const logs = await client.filterLogs(flowRun.id);
    const blocks = logs.filter((log) => log.message.includes(ANSWERS_MARKER));
    assert.equal(blocks.length, 1, 'the answers block is logged once');
    assert.ok(blocks[0]!.message.includes(homework.intercept.toString()));
  });

  void test('data-download stops after ingest: one task run and a download report', async () => {
    const flowRun = await quickRun('data-download');
    const { runId, request } = await claimedRequest(flowRun.id);
    assert.equal((request.data as { stopAfter: string }).stopAfter, 'ingest');
    await waitForState(flowRun.id, 'RUNNING');
    await playPipeline(bus, runId, { upTo: 'ingest' });
    await waitForState(flowRun.id, 'COMPLETED');
    const tasks = await taskRunsOf(client, flowRun.id);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), [['download', 'COMPLETED']]);
    const artifacts = await client.filterArtifacts({ artifacts: { flow_run_id: { any_: [flowRun.id] } } });
    assert.equal(artifacts[0]?.key, 'data-download-report');
    assert.ok(String(artifacts[0]?.data).includes('3,403,766'));
  });

  void test('cancel in Prefect while features run: run.cancelled is published and the flow run ends Cancelled', async () => {
    const flowRun = await quickRun('homework-complete-solution');
    const { runId } = await claimedRequest(flowRun.id);
    await waitForState(flowRun.id, 'RUNNING');
    await playPipeline(bus, runId, { upTo: 'ingest' }).catch(() => undefined); // ingest done …
    await emit(bus, 'stage.started', runId, { stage: 'features', attempt: 1 }, 'features:1'); // … features running
    const features = await waitFor('features task running', async () => (await taskRunsOf(client, flowRun.id)).find((t) => t.name === 'features' && t.state?.type === 'RUNNING'));
    assert.ok(features);
    // What the UI's Cancel button sends.
    const cancel = await client.setFlowRunState(flowRun.id, { type: 'CANCELLING', name: 'Cancelling' });
    assert.equal(cancel.status, 'ACCEPT');
    const cancelled = await waitFor('run.cancelled', async () => (await runEvents(bus, runId)).find((e) => e.type === 'run.cancelled'));
    assert.equal((cancelled.data as { by?: string }).by, 'prefect');
    await waitForState(flowRun.id, 'CANCELLED');
    const tasks = await taskRunsOf(client, flowRun.id);
    assert.equal(tasks.find((t) => t.name === 'features')?.state?.type, 'CANCELLED');
    assert.equal(tasks.find((t) => t.name === 'download')?.state?.type, 'COMPLETED');
  });

  void test('run.failed (a month with no file) ends the flow run Failed with the error in its logs', async () => {
    const flowRun = await quickRun('homework-complete-solution', { year: 2030, month: 1, taxi_type: 'yellow' });
    const { runId } = await claimedRequest(flowRun.id);
    await waitForState(flowRun.id, 'RUNNING');
    await emit(bus, 'stage.started', runId, { stage: 'ingest', attempt: 1 }, 'ingest:1');
    const message = 'yellow 2030-01: the TLC server has no such file (HTTP 404)';
    await emit(bus, 'run.failed', runId, { stage: 'ingest', code: 'not_found', message });
    const state = await waitForState(flowRun.id, 'FAILED');
    assert.ok(state.message?.includes('HTTP 404'));
    const logs = await client.filterLogs(flowRun.id);
    assert.ok(logs.some((log) => log.level >= 40 && log.message.includes(message)), 'the error is in the flow run logs');
    const tasks = await taskRunsOf(client, flowRun.id);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), [['download', 'FAILED']]);
  });

  void test('a run started on the gateway appears as a running flow run of its deployment, and forwards service logs', async () => {
    const runId = `gw-${Date.now()}`;
    await emit(bus, 'run.requested', runId, { taxi: 'yellow', months: [{ year: 2023, month: 3 }], origin: { kind: 'gateway' } });
    const homeworkId = bridge.deployments.get('homework-complete-solution')!.id;
    const flowRun = await waitFor('gateway flow run', async () => {
      const runs = await client.filterFlowRuns({ flow_runs: { name: { any_: [runId] } }, deployments: { id: { any_: [homeworkId] } } });
      return runs[0]?.state?.type === 'RUNNING' ? runs[0] : undefined;
    });
    assert.deepEqual(flowRun.parameters, { year: 2023, month: 3, taxi_type: 'yellow' });
    // A service's pino line on logs.<runId>.<service> lands in the flow run's logs.
    await bus.js.publish(bus.names.subject(`logs.${runId}.ingest`), JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'ingest', runId, msg: 'downloading yellow 2023-03' }));
    await playPipeline(bus, runId);
    await waitForState(flowRun.id, 'COMPLETED');
    const logs = await waitFor('service log line', async () => {
      const all = await client.filterLogs(flowRun.id);
      return all.some((log) => log.message.includes('downloading yellow 2023-03')) ? all : undefined;
    });
    const line = logs.find((log) => log.message.includes('downloading yellow 2023-03'))!;
    assert.equal(line.name, 'pipeline.ingest');
    assert.ok(line.task_run_id, 'attached to the download task run');
    // Not claimable: it was never SCHEDULED.
    const scheduled = await client.getScheduledFlowRuns([homeworkId], new Date(Date.now() + 60_000));
    assert.ok(!scheduled.some((r) => r.id === flowRun.id));
  });

  void test('a run that stops producing events ends Crashed after the timeout', async () => {
    const shortBus = await connectTestBus(testNamespace());
    const short = await startTestBridge(shortBus, { ...config, PREFECT_RUN_TIMEOUT_MINUTES: 0.05 });
    try {
      const runId = `lost-${Date.now()}`;
      await emit(shortBus, 'run.requested', runId, { taxi: 'yellow', months: [{ year: 2023, month: 3 }], origin: { kind: 'test' } });
      await emit(shortBus, 'stage.started', runId, { stage: 'ingest', attempt: 1 }, 'ingest:1');
      const flowRun = await waitFor('crashed flow run', async () => {
        const runs = await client.filterFlowRuns({ flow_runs: { name: { any_: [runId] } } });
        return runs[0]?.state?.type === 'CRASHED' ? runs[0] : undefined;
      });
      const tasks = await taskRunsOf(client, flowRun.id);
      assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), [['download', 'CRASHED']]);
    } finally {
      await short.stop();
      await deleteTestStreams(shortBus);
      await shortBus.close();
    }
  });

  void test('a bridge restart mid-run loses nothing: the new bridge finishes the flow run from the stream', async () => {
    const flowRun = await quickRun('homework-complete-solution');
    const { runId } = await claimedRequest(flowRun.id);
    await waitForState(flowRun.id, 'RUNNING');
    await bridge.stop();
    await playPipeline(bus, runId, { gapMs: 20 }); // the whole run happens while no bridge runs
    bridge = await startTestBridge(bus, config);
    await waitForState(flowRun.id, 'COMPLETED');
    const tasks = await taskRunsOf(client, flowRun.id);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), ['download', 'features', 'train', 'track'].map((n) => [n, 'COMPLETED']));
  });

  void test('two bridges never claim the same run', async () => {
    // A second bridge on the same deployments (same flow names) but its own NATS namespace:
    // each flow run must be requested in exactly one of the two namespaces.
    const otherBus = await connectTestBus(testNamespace());
    const other = await startTestBridge(otherBus, config);
    try {
      const flowRuns = await Promise.all(Array.from({ length: 6 }, () => quickRun('data-download')));
      for (const flowRun of flowRuns) {
        const runId = runIdForFlowRun(flowRun.id);
        const counts = await waitFor('claimed', async () => {
          const a = (await runEvents(bus, runId)).filter((e) => e.type === 'run.requested').length;
          const b = (await runEvents(otherBus, runId)).filter((e) => e.type === 'run.requested').length;
          return a + b > 0 ? [a, b] : undefined;
        });
        assert.equal(counts[0]! + counts[1]!, 1, `flow run ${flowRun.id} requested once (${counts.join('/')})`);
      }
      // Settle both sides: finish each run in the namespace that claimed it.
      for (const flowRun of flowRuns) {
        const runId = runIdForFlowRun(flowRun.id);
        const owner = (await runEvents(bus, runId)).length > 0 ? bus : otherBus;
        await playPipeline(owner, runId, { upTo: 'ingest', gapMs: 10 });
      }
      for (const flowRun of flowRuns) await waitForState(flowRun.id, 'COMPLETED');
    } finally {
      await other.stop();
      await deleteTestStreams(otherBus);
      await otherBus.close();
    }
  });
});
