import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEvent, messageIdFor, type Envelope } from '@taxi-mlops/contracts';
import { setTimeout as sleep } from 'node:timers/promises';
import { deferred, randomRunId, testBus } from './helpers';

void describe('bus: publish and consume', () => {
  let bus: Awaited<ReturnType<typeof testBus>>;
  before(async () => (bus = await testBus('bus-test')));
  after(() => bus.dispose());

  void it('delivers a typed event from publish to the handler and acks it', { timeout: 15_000 }, async () => {
    const runId = randomRunId();
    const received = deferred<{ event: Envelope<'data.downloaded'>; attempt: number }>();
    const consumer = await bus.consume('data.downloaded', (event, ctx) => received.resolve({ event, attempt: ctx.attempt }), {
      stage: 'features',
    });
    const data = {
      taxi: 'yellow' as const,
      files: [{ year: 2023, month: 1, uri: 'file:///data/y.parquet', sha256: 'a'.repeat(64), bytes: 10, rows: 2, sourceUrl: 'https://x/y' }],
      durationMs: 12,
    };
    const published = await bus.emit('data.downloaded', runId, data);

    const { event, attempt } = await received.promise;
    assert.equal(attempt, 1);
    assert.equal(event.type, 'data.downloaded');
    assert.equal(event.subject, runId);
    assert.equal(event.id, published.event.id);
    assert.deepEqual(event.data, data);
    assert.equal(published.subject, `${bus.names.namespace}.pipeline.data.downloaded.${runId}`);

    await consumer.stop();
    const info = await bus.jsm.consumers.info(bus.names.stream, consumer.durable);
    assert.equal(info.num_ack_pending, 0, 'acked');
    assert.equal(info.ack_floor.stream_seq, published.seq);
  });

  void it('stores an event published twice with the same Nats-Msg-Id once', async () => {
    const runId = randomRunId();
    const event = createEvent('stage.started', runId, { stage: 'ingest', attempt: 1 }, '/test');
    const before = (await bus.jsm.streams.info(bus.names.stream)).state.messages;

    const first = await bus.publish(event);
    const second = await bus.publish(createEvent('stage.started', runId, { stage: 'ingest', attempt: 1 }, '/test'));

    assert.equal(first.msgId, messageIdFor('stage.started', runId));
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    const afterCount = (await bus.jsm.streams.info(bus.names.stream)).state.messages;
    assert.equal(afterCount - before, 1);

    const third = await bus.publish(event, { msgId: messageIdFor('stage.started', runId, 'retry-2') });
    assert.equal(third.duplicate, false, 'another msgId is another message');
  });

  void it('follows one run in order and ends at its terminal event', { timeout: 15_000 }, async () => {
    const runId = randomRunId();
    const otherRun = randomRunId();
    await bus.emit('stage.started', runId, { stage: 'ingest', attempt: 1 });
    await bus.emit('stage.started', otherRun, { stage: 'ingest', attempt: 1 });
    await bus.emit('run.completed', runId, {});
    await bus.emit('stage.started', runId, { stage: 'train', attempt: 1 }); // after the end: not yielded

    const seen: string[] = [];
    for await (const event of bus.followRun(runId)) {
      assert.equal(event.subject, runId);
      seen.push(event.type);
    }
    assert.deepEqual(seen, ['stage.started', 'run.completed']);
  });

  for (const prefetch of [0, 2]) {
    void it(`holds ${1 + prefetch} message(s) while a handler is busy with concurrency 1, prefetch ${prefetch}`, { timeout: 15_000 }, async () => {
      const bus = await testBus(`prefetch-${prefetch}`); // its own stream: a new durable replays everything
      const runIds = [randomRunId(), randomRunId(), randomRunId()];
      const firstStarted = deferred();
      const unblock = deferred();
      const handled: string[] = [];
      const consumer = await bus.consume(
        'run.cancelled',
        async (event) => {
          if (handled.length === 0) {
            firstStarted.resolve();
            await unblock.promise;
          }
          handled.push(event.subject);
        },
        { stage: 'train', durable: `prefetch-${prefetch}`, prefetch },
      );
      try {
        for (const runId of runIds) await bus.emit('run.cancelled', runId, {});
        await firstStarted.promise;

        const info = async () => bus.jsm.consumers.info(bus.names.stream, consumer.durable);
        // The server delivers only what was pulled; wait until the prefetched ones have arrived.
        while ((await info()).num_ack_pending < 1 + prefetch) await sleep(20);
        const held = await info();
        assert.equal(held.num_ack_pending, 1 + prefetch, 'delivered and not yet acked');
        assert.equal(held.num_pending, 2 - prefetch, 'left in the stream for any instance');

        unblock.resolve();
        while (handled.length < runIds.length) await sleep(20);
        assert.deepEqual(handled, runIds, 'in order');
      } finally {
        unblock.resolve();
        await bus.dispose();
      }
    });
  }
});
