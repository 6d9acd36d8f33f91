import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_EXIT_CODE } from '../src/index';
import { NATS_URL, randomNamespace, randomRunId, spawnFixture, testBus } from './helpers';

void describe('runService', () => {
  void it('exits non-zero with one stderr line naming a missing variable', { timeout: 20_000 }, async () => {
    const child = spawnFixture('service.ts', { NATS_URL, NATS_NAMESPACE: randomNamespace() });
    const { code } = await child.exited;
    assert.equal(code, CONFIG_EXIT_CODE);
    const lines = child.stderr().trimEnd().split('\n');
    assert.deepEqual(lines, ['config: FIXTURE_GREETING is missing (example: hello)']);
    assert.equal(child.lines.length, 0, 'nothing on stdout');
  });

  void it('names a malformed variable', { timeout: 20_000 }, async () => {
    const child = spawnFixture('service.ts', { NATS_URL, FIXTURE_GREETING: 'hi', FIXTURE_WORK_MS: 'soon', NATS_NAMESPACE: 'bad.namespace' });
    const { code } = await child.exited;
    assert.equal(code, CONFIG_EXIT_CODE);
    const lines = child.stderr().trimEnd().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^config: NATS_NAMESPACE is invalid: .* \(example: t123\); FIXTURE_WORK_MS is invalid: .* \(example: 500\)$/);
  });

  void describe('on SIGTERM', () => {
    let bus: Awaited<ReturnType<typeof testBus>>;
    before(async () => (bus = await testBus('service-test')));
    after(() => bus.dispose());

    void it('lets the running handler finish, acks it, runs hooks and exits 0', { timeout: 20_000 }, async () => {
      const child = spawnFixture('service.ts', { NATS_URL, NATS_NAMESPACE: bus.names.namespace, FIXTURE_GREETING: 'hi', LOG_LEVEL: 'info' });
      await child.waitFor((l) => l.event === 'ready');
      const connected = await child.waitFor((l) => l.msg === 'connected to NATS');
      assert.equal(connected.natsServer, bus.serverVersion);

      const runId = randomRunId();
      await bus.emit('stage.started', runId, { stage: 'ingest', attempt: 1 });
      await child.waitFor((l) => l.event === 'start' && l.runId === runId);
      child.process.kill('SIGTERM');

      const { code } = await child.exited;
      assert.equal(code, 0);
      const events = child.lines.filter((l) => l.fixture).map((l) => l.event);
      assert.deepEqual(events, ['ready', 'start', 'done', 'hook']);
      const info = await bus.jsm.consumers.info(bus.names.stream, 'service-test');
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.num_redelivered, 0);
      assert.equal(info.delivered.stream_seq, info.ack_floor.stream_seq, 'the message was acked before exit');

      const logLine = await bus.jsm.streams.getMessage(bus.names.logStream, { last_by_subj: bus.names.runLog(runId, 'service-fixture') });
      const forwarded = logLine?.json<Record<string, unknown>>();
      assert.equal(forwarded?.msg, 'greeting the run');
      assert.equal(forwarded?.runId, runId);
    });
  });
});
