import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { PipelineError, deadLetterSubject, subjectFor, type Envelope } from '@taxi-mlops/contracts';
import { DLQ_HEADERS } from '../src/index';
import { randomRunId, testBus } from './helpers';

/** Collects a run's events up to its terminal one. */
async function eventsOf(bus: Awaited<ReturnType<typeof testBus>>, runId: string): Promise<Envelope[]> {
  const events: Envelope[] = [];
  for await (const event of bus.followRun(runId)) events.push(event);
  return events;
}

void describe('bus: failures', () => {
  let bus: Awaited<ReturnType<typeof testBus>>;
  before(async () => (bus = await testBus('failures-test')));
  after(() => bus.dispose());

  void it('redelivers a throwing handler after the backoff delay, then dead-letters and emits run.failed', { timeout: 20_000 }, async () => {
    const runId = randomRunId();
    const backoffMs = [300, 600];
    const attempts: Array<{ attempt: number; at: number }> = [];
    const consumer = await bus.consume(
      'stage.started',
      (_event, ctx) => {
        attempts.push({ attempt: ctx.attempt, at: performance.now() });
        throw new Error(`boom on attempt ${ctx.attempt}`);
      },
      { stage: 'ingest', durable: 'retry-test', maxDeliver: 3, backoffMs, ackWaitMs: 10_000 },
    );
    const published = await bus.emit('stage.started', runId, { stage: 'ingest', attempt: 1 });

    const events = await eventsOf(bus, runId);
    const failed = events.at(-1);
    assert.equal(failed?.type, 'run.failed');
    assert.deepEqual(failed.data, { stage: 'ingest', code: 'internal', message: 'boom on attempt 3', attempts: 3 });

    assert.deepEqual(attempts.map((a) => a.attempt), [1, 2, 3]);
    const [first, second, third] = attempts as [(typeof attempts)[0], (typeof attempts)[0], (typeof attempts)[0]];
    assert.ok(second.at - first.at >= backoffMs[0]!, `2nd delivery ${second.at - first.at} ms after the 1st; nak delay is ${backoffMs[0]} ms`);
    assert.ok(third.at - second.at >= backoffMs[1]!, `3rd delivery ${third.at - second.at} ms after the 2nd; nak delay is ${backoffMs[1]} ms`);

    const dead = await bus.jsm.streams.getMessage(bus.names.deadLetterStream, {
      last_by_subj: bus.names.subject(deadLetterSubject(subjectFor('stage.started', runId))),
    });
    assert.ok(dead, 'the message is in the dead-letter stream');
    assert.equal(dead.header.get(DLQ_HEADERS.reason), 'max_deliver');
    assert.equal(dead.header.get(DLQ_HEADERS.error), 'boom on attempt 3');
    assert.equal(dead.header.get(DLQ_HEADERS.deliveryCount), '3');
    assert.equal(dead.header.get(DLQ_HEADERS.consumer), 'retry-test');
    assert.equal(dead.header.get(DLQ_HEADERS.originalSeq), String(published.seq));
    assert.equal(dead.json<Envelope>().id, published.event.id, 'the original body is kept');

    await consumer.stop();
    const info = await bus.jsm.consumers.info(bus.names.stream, 'retry-test');
    assert.equal(info.num_ack_pending, 0, 'terminated, not left pending');
  });

  void it('turns a non-transient PipelineError into run.failed and acks without retrying', { timeout: 20_000 }, async () => {
    const runId = randomRunId();
    const attempts: number[] = [];
    const consumer = await bus.consume(
      'run.requested',
      (_event, ctx) => {
        attempts.push(ctx.attempt);
        throw new PipelineError('not_found', 'yellow 2023-13 has no file');
      },
      { stage: 'ingest', backoffMs: [100] },
    );
    await bus.emit('run.requested', runId, { taxi: 'yellow', months: [{ year: 2023, month: 1 }], origin: { kind: 'test' } });

    const events = await eventsOf(bus, runId);
    assert.deepEqual(events.at(-1)?.data, { stage: 'ingest', code: 'not_found', message: 'yellow 2023-13 has no file', attempts: 1 });
    await consumer.stop();
    assert.deepEqual(attempts, [1]);
    const info = await bus.jsm.consumers.info(bus.names.stream, consumer.durable);
    assert.equal(info.num_redelivered, 0);
    assert.equal(info.num_ack_pending, 0);
  });

  void it('dead-letters an invalid event without calling the handler', { timeout: 20_000 }, async () => {
    const runId = randomRunId();
    let handlerCalls = 0;
    const consumer = await bus.consume('features.ready', () => void handlerCalls++, { stage: 'train' });
    const subject = bus.names.subject(subjectFor('features.ready', runId));
    await bus.js.publish(subject, JSON.stringify({ specversion: '1.0', type: 'features.ready', data: { rowsKept: -1 } }));

    const events = await eventsOf(bus, runId);
    assert.equal(events.length, 1, 'only the run.failed: the invalid event is skipped');
    const failed = events[0]!;
    assert.equal(failed.type, 'run.failed');
    assert.equal((failed as Envelope<'run.failed'>).data.code, 'invalid_event');
    assert.match((failed as Envelope<'run.failed'>).data.message, /data\.rowsKept/);

    const dead = await bus.jsm.streams.getMessage(bus.names.deadLetterStream, { last_by_subj: bus.names.deadLetter(subject) });
    assert.ok(dead);
    assert.equal(dead.header.get(DLQ_HEADERS.reason), 'invalid_event');
    assert.match(dead.header.get(DLQ_HEADERS.error), /id: .*; .*subject/);
    await consumer.stop();
    assert.equal(handlerCalls, 0);
  });

  void it('dead-letters a body that is not JSON', { timeout: 20_000 }, async () => {
    const runId = randomRunId();
    let handlerCalls = 0;
    const consumer = await bus.consume('model.trained', () => void handlerCalls++, { stage: 'track' });
    const subject = bus.names.subject(subjectFor('model.trained', runId));
    await bus.js.publish(subject, 'not json');

    const events = await eventsOf(bus, runId);
    assert.match((events[0] as Envelope<'run.failed'>).data.message, /body is not JSON/);
    const dead = await bus.jsm.streams.getMessage(bus.names.deadLetterStream, { last_by_subj: bus.names.deadLetter(subject) });
    assert.equal(dead?.string(), 'not json');
    await consumer.stop();
    assert.equal(handlerCalls, 0);
  });
});
