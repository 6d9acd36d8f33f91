import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PrefectApiError, PrefectClient } from '../src/prefect/client';
import { deploymentBody, deploymentSpecs } from '../src/prefect/deployments';
import { ensurePrefectServer, testNamespace } from './support/prefect';

void describe('PrefectClient against a real Prefect server', () => {
  let client: PrefectClient;
  const suffix = testNamespace();

  before(async () => {
    client = new PrefectClient({ apiUrl: await ensurePrefectServer() });
  });

  void it('reads health and the server version', async () => {
    assert.equal(await client.health(), true);
    assert.match(await client.version(), /^3\.\d+\.\d+/);
  });

  void it('upserts flows and deployments idempotently, and reads them back', async () => {
    const flowA = await client.upsertFlow(`client-test-${suffix}`);
    const flowB = await client.upsertFlow(`client-test-${suffix}`);
    assert.equal(flowA.id, flowB.id);
    const options = { experimentName: 'nyc', schedules: {}, version: 'test', flowSuffix: suffix };
    const spec = deploymentSpecs(options)[0]!;
    const first = await client.upsertDeployment(deploymentBody(spec, flowA.id, options));
    const second = await client.upsertDeployment(deploymentBody(spec, flowA.id, options));
    assert.equal(first.id, second.id);
    assert.equal((await client.readDeploymentByName(flowA.name, spec.key)).id, first.id);
    const filtered = await client.filterDeployments({ deployments: { id: { any_: [first.id] } } });
    assert.deepEqual(filtered.map((d) => d.id), [first.id]);
  });

  void it('claims with a non-forced PENDING exactly once, runs task runs and writes logs and artifacts', async () => {
    const flow = await client.upsertFlow(`client-test-${suffix}`);
    const options = { experimentName: 'nyc', schedules: {}, version: 'test', flowSuffix: suffix };
    const deployment = await client.upsertDeployment(deploymentBody(deploymentSpecs(options)[1]!, flow.id, options));
    const flowRun = await client.createFlowRunFromDeployment(deployment.id, { state: { type: 'SCHEDULED' } });
    const scheduled = await client.getScheduledFlowRuns([deployment.id], new Date(Date.now() + 10_000));
    assert.ok(scheduled.some((r) => r.id === flowRun.id));

    assert.equal((await client.setFlowRunState(flowRun.id, { type: 'PENDING' })).status, 'ACCEPT');
    assert.equal((await client.setFlowRunState(flowRun.id, { type: 'PENDING' })).status, 'ABORT', 'a second claim is refused');
    assert.equal((await client.setFlowRunState(flowRun.id, { type: 'RUNNING' })).status, 'ACCEPT');

    const id = randomUUID();
    const body = { id, flow_run_id: flowRun.id, task_key: 'k', dynamic_key: '0', name: 'download', tags: [], task_inputs: {}, empirical_policy: { retries: 0 as const } };
    assert.equal((await client.createTaskRun(body)).id, id);
    assert.equal((await client.createTaskRun(body)).id, id, 'creating it again returns the same task run');
    assert.equal((await client.setTaskRunState(id, { type: 'RUNNING' })).status, 'ACCEPT');
    assert.equal((await client.setTaskRunState(id, { type: 'COMPLETED' })).status, 'ACCEPT');
    assert.equal((await client.readTaskRun(id)).state?.type, 'COMPLETED');

    await client.createLogs([{ name: 'test', level: 20, message: 'hello\u0000 world', timestamp: new Date().toISOString(), flow_run_id: flowRun.id, task_run_id: id }]);
    assert.deepEqual((await client.filterLogs(flowRun.id)).map((l) => l.message), ['hello world']);
    await client.createArtifact({ key: 'client-test', type: 'markdown', description: 'd', data: '# hi', flow_run_id: flowRun.id });
    assert.equal((await client.filterArtifacts({ artifacts: { flow_run_id: { any_: [flowRun.id] } } }))[0]?.data, '# hi');
    assert.equal((await client.setFlowRunState(flowRun.id, { type: 'COMPLETED' })).status, 'ACCEPT');
    assert.equal((await client.readFlowRun(flowRun.id)).state?.type, 'COMPLETED');
  });

  void it('reports a refused request as a non-retryable error naming the call, and an unreachable server as retryable', async () => {
    await assert.rejects(
      client.setFlowRunState(randomUUID(), { type: 'RUNNING', timestamp: 'x' } as never),
      (error: unknown) => error instanceof PrefectApiError && error.status === 422 && !error.retryable && /set_state/.test(error.message),
    );
    const nowhere = new PrefectClient({ apiUrl: 'http://127.0.0.1:9/api', retries: 2 });
    assert.equal(await nowhere.health(), false);
    await assert.rejects(nowhere.version(), (error: unknown) => error instanceof PrefectApiError && error.retryable && /127\.0\.0\.1:9/.test(error.message));
  });
});
