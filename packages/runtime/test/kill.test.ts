import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NATS_URL, randomRunId, spawnFixture, testBus, type Child } from './helpers';

void describe('bus: a consumer killed mid-message', () => {
  let bus: Awaited<ReturnType<typeof testBus>>;
  const children: Child[] = [];
  before(async () => (bus = await testBus('kill-test')));
  after(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await bus.dispose();
  });

  void it('has its message redelivered to another instance', { timeout: 30_000 }, async () => {
    const env = { NATS_URL, NATS_NAMESPACE: bus.names.namespace, LOG_LEVEL: 'warn' };
    children.push(spawnFixture('kill-consumer.ts', env), spawnFixture('kill-consumer.ts', env));
    await Promise.all(children.map((c) => c.waitFor((l) => l.event === 'ready')));

    const runId = randomRunId();
    await bus.emit('stage.started', runId, { stage: 'ingest', attempt: 1 });

    const isStart = (attempt: number) => (l: Record<string, unknown>) => l.event === 'start' && l.runId === runId && l.attempt === attempt;
    const first = await Promise.race(children.map((c) => c.waitFor(isStart(1)).then(() => c)));
    const other = children.find((c) => c !== first)!;
    first.process.kill('SIGKILL');
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL');

    const done = await other.waitFor((l) => l.event === 'done' && l.runId === runId);
    assert.equal(done.attempt, 2);
    assert.equal(done.pid, other.process.pid);
    assert.ok(!first.lines.some((l) => l.event === 'done'), 'the killed instance never finished it');
  });
});
