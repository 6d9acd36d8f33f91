import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '../src/index';
import { deferred, randomRunId, testBus } from './helpers';

const exporter = new InMemorySpanExporter();

async function spanNamed(name: string): Promise<ReadableSpan> {
  for (;;) {
    const span = exporter.getFinishedSpans().find((s) => s.name === name);
    if (span) return span;
    await sleep(20); // the consumer span ends after the ack, a moment after the handler returns
  }
}

void describe('bus: trace propagation', () => {
  let telemetry: Telemetry;
  let bus: Awaited<ReturnType<typeof testBus>>;
  before(async () => {
    telemetry = startTelemetry({ serviceName: 'trace-test', spanProcessors: [new SimpleSpanProcessor(exporter)], env: {} });
    bus = await testBus('trace-test');
  });
  after(async () => {
    await bus.dispose();
    await telemetry.shutdown();
  });

  void it('makes the consumer span a child of the producer span, in one trace, and chains the next event', { timeout: 15_000 }, async () => {
    const runId = randomRunId();
    const handled = deferred<string>();
    await bus.consume(
      'stage.started',
      async (_event, ctx) => {
        await bus.emit('run.completed', runId, {}); // published inside the consumer span
        handled.resolve(ctx.span.spanContext().spanId);
      },
      { stage: 'ingest' },
    );
    await bus.emit('stage.started', runId, { stage: 'ingest', attempt: 1 });
    await handled.promise;

    const producer = await spanNamed('send pipeline.stage.started');
    const consumer = await spanNamed('process pipeline.stage.started');
    const next = await spanNamed('send pipeline.run.completed');

    assert.equal(producer.kind, SpanKind.PRODUCER);
    assert.equal(consumer.kind, SpanKind.CONSUMER);
    assert.equal(consumer.spanContext().traceId, producer.spanContext().traceId);
    assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
    assert.equal(next.spanContext().traceId, producer.spanContext().traceId);
    assert.equal(next.parentSpanContext?.spanId, consumer.spanContext().spanId);

    assert.equal(producer.attributes['messaging.system'], 'nats');
    assert.equal(producer.attributes['messaging.operation.type'], 'send');
    assert.equal(producer.attributes['messaging.destination.name'], `${bus.names.namespace}.pipeline.stage.started.${runId}`);
    assert.equal(consumer.attributes['messaging.operation.type'], 'process');
    assert.equal(consumer.attributes['messaging.nats.delivery_count'], 1);
    assert.equal(consumer.attributes['pipeline.outcome'], 'acked');
    assert.equal(consumer.attributes['messaging.consumer.group.name'], 'trace-test--stage-started');
    assert.equal(producer.resource.attributes['service.name'], 'trace-test');
  });
});
