import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RunLogForwarder, createLogger, startTelemetry } from '../src/index';

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

  void it('forwards only the lines of a run once attached', () => {
    const { lines, stream } = capture();
    const runLogs = new RunLogForwarder();
    const forwarded: Array<[string, Record<string, unknown>]> = [];
    const logger = createLogger({ service: 'features', destination: stream, runLogs });

    logger.child({ runId: 'run-1' }).info('before attach');
    runLogs.attach((runId, line) => forwarded.push([runId, JSON.parse(line) as Record<string, unknown>]));
    logger.info('no run');
    logger.child({ runId: 'run-2' }).info('for run 2');
    logger.child({ runId: 'not.a.token' }).info('bad run id');
    runLogs.detach();
    logger.child({ runId: 'run-3' }).info('after detach');

    assert.equal(lines.length, 5, 'every line still goes to the destination');
    assert.deepEqual(forwarded.map(([runId, line]) => [runId, line.msg]), [['run-2', 'for run 2']]);
  });
});
