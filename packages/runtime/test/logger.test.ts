import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger, startTelemetry } from '../src/index';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

void describe('createLogger', () => {
  void it('writes JSON with the service, the run of a child logger and the active span ids', async () => {
    const telemetry = startTelemetry({ serviceName: 'logger-test', spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())], env: {} });
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'ingest', destination: stream });

    logger.info('outside');
    trace.getTracer('test').startActiveSpan('work', (span) => {
      logger.child({ runId: 'run-1' }).warn('inside');
      span.end();
    });
    await telemetry.shutdown();

    const [outside, inside] = lines;
    assert.equal(outside?.service, 'ingest');
    assert.equal(outside?.level, 'info');
    assert.equal(outside?.traceId, undefined);
    assert.equal(inside?.runId, 'run-1');
    assert.equal(inside?.level, 'warn');
    assert.match(String(inside?.traceId), /^[0-9a-f]{32}$/);
    assert.match(String(inside?.spanId), /^[0-9a-f]{16}$/);
  });
});
