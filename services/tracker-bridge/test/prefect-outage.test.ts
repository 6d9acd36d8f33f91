import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Bus } from '@taxi-mlops/runtime';
import { PrefectClient } from '../src/prefect/client';
import { runIdForFlowRun } from '../src/prefect/claim';
import type { PrefectBridge } from '../src/prefect/bridge';
import {
  connectTestBus,
  deleteTestStreams,
  ensurePrefectServer,
  flowRunState,
  playPipeline,
  repoRoot,
  runEvents,
  startTestBridge,
  stopPrefectServer,
  taskRunsOf,
  testConfig,
  testNamespace,
  waitFor,
} from './support/prefect';

/**
 * Prefect goes away in the middle of a run and comes back: the pipeline's events keep flowing, the
 * bridge queues its calls and the flow run still ends Completed with every task run. Uses its own
 * server (port 4201, own data folder) so the shared one on 4200 is never stopped.
 */
const env = { PREFECT_PORT: '4201', PREFECT_HOME: path.join(repoRoot, 'data/prefect-outage-test'), PREFECT_UI: 'false' };

void describe('Prefect outage mid-run', () => {
  let apiUrl: string;
  let bus: Bus;
  let bridge: PrefectBridge;

  before(async () => {
    await stopPrefectServer(env);
    await rm(env.PREFECT_HOME, { recursive: true, force: true });
    apiUrl = await ensurePrefectServer(env);
    bus = await connectTestBus(testNamespace());
  });

  after(async () => {
    await bridge?.stop();
    if (bus) {
      await deleteTestStreams(bus);
      await bus.close();
    }
    await stopPrefectServer(env);
  });

  void it('the flow run ends Completed with every task run after Prefect restarts', async () => {
    const namespace = bus.names.namespace!;
    bridge = await startTestBridge(bus, testConfig(apiUrl, namespace));
    const client = new PrefectClient({ apiUrl });
    const deploymentId = bridge.deployments.get('homework-complete-solution')!.id;
    const flowRun = await client.createFlowRunFromDeployment(deploymentId, { state: { type: 'SCHEDULED', message: 'Run from the Prefect UI with defaults' } });
    const runId = runIdForFlowRun(flowRun.id);
    await waitFor('run.requested', async () => (await runEvents(bus, runId)).some((e) => e.type === 'run.requested'));
    await waitFor('RUNNING', async () => (await flowRunState(client, flowRun.id))?.type === 'RUNNING');

    await stopPrefectServer(env);
    assert.equal(await client.health(), false, 'Prefect is down');
    await playPipeline(bus, runId, { gapMs: 50 }); // the pipeline is not blocked
    assert.ok((await runEvents(bus, runId)).some((e) => e.type === 'model.tracked'));

    await ensurePrefectServer(env);
    const state = await waitFor('COMPLETED', async () => {
      const s = await flowRunState(client, flowRun.id);
      return s?.type === 'COMPLETED' ? s : undefined;
    }, 180_000);
    assert.equal(state.type, 'COMPLETED');
    const tasks = await taskRunsOf(client, flowRun.id);
    assert.deepEqual(tasks.map((t) => [t.name, t.state?.type]), ['download', 'features', 'train', 'track'].map((n) => [n, 'COMPLETED']));
    const artifacts = await client.filterArtifacts({ artifacts: { flow_run_id: { any_: [flowRun.id] } } });
    assert.equal(artifacts.length, 1);
  });
});
