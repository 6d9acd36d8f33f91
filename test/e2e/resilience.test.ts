// Acceptance: a trainer killed mid-run, the gateway restarted mid-run, a cancelled run, and the
// bearer token - with the test-only TRAINER_TEST_DELAY_MS giving each its "mid-run" window.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realDataDir, realDataMissing } from '../support/real-data';
import type { ServiceProcess } from './support/processes';
import { E2EStack } from './support/stack';

const TOKEN = 'e2e-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const isTrainStart = (event: { type: string; data: unknown }) => event.type === 'stage.started' && (event.data as { stage: string }).stage === 'train';

void describe('e2e: failures and interruptions', { skip: realDataMissing }, () => {
  const stack = new E2EStack({
    realDataDir,
    instances: { ingest: 1, features: 1, trainer: 0 },
    // Short ack wait and lease: a killed trainer's run moves on within seconds.
    env: { TRAINER_ACK_WAIT_MS: '2000', LEASE_TTL_MS: '2000' },
    serviceEnv: { gateway: { GATEWAY_API_TOKEN: TOKEN } },
  });
  let trainer: ServiceProcess;

  before(() => stack.start());
  after(() => stack.stop());

  void it('with GATEWAY_API_TOKEN, a request without the token gets 401 and starts nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }] as Array<Record<string, string>>) {
      const { status } = await stack.http('POST', '/runs', { taxi: 'green', year: 2023, month: 3 }, headers);
      assert.equal(status, 401);
    }
    assert.equal((await stack.bus.jsm.streams.info(stack.bus.names.stream)).state.messages, 0, 'nothing was published');
    const { json } = await stack.http('GET', '/runs');
    assert.deepEqual(json.items, [], 'no run was recorded');
  });

  void it('a trainer killed with SIGKILL mid-run: after another trainer starts, the run completes with one result', { timeout: 120_000 }, async () => {
    const doomed = await stack.startService('trainer', { TRAINER_TEST_DELAY_MS: '600000' });
    const runId = await stack.postRun({ taxi: 'green', year: 2023, month: 2 }, auth);
    await doomed.waitForLine((line) => line.runId === runId && line.msg === 'test delay: holding the lease before training', 'holding the lease');
    assert.equal((await doomed.stop('SIGKILL')).signal, 'SIGKILL');

    trainer = await stack.startService('trainer', { TRAINER_TEST_DELAY_MS: '3000' });
    const view = await stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'completed', JSON.stringify(view.error));
    assert.equal(await stack.countEvents('model.trained', runId), 1, 'one model.trained');
    assert.equal(await stack.countEvents('run.completed', runId), 1, 'one run.completed');
    const trainStarts = (await stack.runEvents(runId)).filter(isTrainStart).map((event) => (event.data as { attempt: number }).attempt);
    assert.deepEqual(trainStarts, [1, 2], 'the second trainer got the redelivered event');
    await trainer.waitForLine((line) => line.msg === 'lease holder stopped renewing; taken over', 'lease taken over', 1000);
    assert.equal(view.stages.find((stage) => stage.name === 'train')?.attempt, 2);
  });

  void it('a cancelled run never gets model.trained', { timeout: 120_000 }, async () => {
    const runId = await stack.postRun({ taxi: 'green', year: 2021, month: 4 }, auth);
    await stack.waitForEvent(runId, isTrainStart); // the trainer now waits 3 s before training
    const { status } = await stack.http('POST', `/runs/${runId}/cancel`, { reason: 'e2e' }, auth);
    assert.equal(status, 202);
    await trainer.waitForLine((line) => line.runId === runId && String(line.msg).startsWith('run was cancelled'), 'cancel noticed');
    assert.equal(await stack.countEvents('model.trained', runId), 0, 'no model.trained');
    assert.equal(await stack.countEvents('run.completed', runId), 0, 'no run.completed');
    const view = await stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'cancelled');

    // A run cancelled right after its request: whichever stage sees the cancel first stops it.
    const early = await stack.postRun({ taxi: 'green', year: 2021, month: 3 }, auth);
    assert.equal((await stack.http('POST', `/runs/${early}/cancel`, {}, auth)).status, 202);
    await Promise.any(stack.services.map((service) => service.waitForLine((line) => line.runId === early && String(line.msg).startsWith('run was cancelled'), 'cancel noticed')));
    assert.equal((await stack.waitForFinishedRun(early)).status, 'cancelled');
    assert.equal(await stack.countEvents('model.trained', early), 0, 'no model.trained for the early-cancelled run');
  });

  void it('the gateway stopped during a run and started again: GET /runs/:id ends up correct', { timeout: 120_000 }, async () => {
    const runId = await stack.postRun({ taxi: 'green', year: 2022, month: 1 }, auth);
    await stack.waitForEvent(runId, isTrainStart);
    await stack.stopGateway();
    const completed = await stack.waitForEvent(runId, (event) => event.type === 'run.completed');
    await stack.startGateway();

    const view = await stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'completed');
    assert.deepEqual(view.answers, (completed.data as { answers: unknown }).answers);
    const streamed = await stack.runEvents(runId);
    assert.equal(view.eventCount, streamed.length, 'the projection caught up with every event');
  });
});
