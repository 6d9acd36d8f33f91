// The runtime's consumer records the pipeline metrics for every delivery; startTelemetry serves
// them for Prometheus on METRICS_PORT. Real NATS, a real exporter, a real scrape.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PipelineError } from '@taxi-mlops/contracts';
import { startTelemetry, type Telemetry } from '../src/index';
import { randomRunId, testBus } from './helpers';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The value of the first series of `name` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

void describe('runtime metrics for Prometheus', () => {
  let telemetry: Telemetry;
  let bus: Awaited<ReturnType<typeof testBus>>;
  let url: string;
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    telemetry = startTelemetry({ serviceName: 'metrics-test', env: { METRICS_PORT: String(port) } });
    bus = await testBus('metrics-test');
  });
  after(async () => {
    await bus.dispose();
    await telemetry.shutdown();
  });

  void it('counts handled events by outcome, failures by code, retries, and stage durations', { timeout: 20_000 }, async () => {
    const flaky = randomRunId();
    const failing = randomRunId();
    await bus.consume(
      'stage.started',
      (event, ctx) => {
        if (event.subject === failing) throw new PipelineError('empty_dataset', 'nothing to train on');
        if (ctx.attempt === 1) throw new Error('transient');
      },
      { stage: 'features', backoffMs: [50] },
    );
    await bus.emit('stage.started', flaky, { stage: 'features', attempt: 1 });
    await bus.emit('stage.started', failing, { stage: 'features', attempt: 1 });

    const labels = { service_name: 'metrics-test', event_type: 'stage.started', stage: 'features' };
    let text = '';
    for (let i = 0; i < 200; i++) {
      text = await (await fetch(url)).text();
      if (sample(text, 'pipeline_events_handled_total', { ...labels, outcome: 'acked' }) === 1 && sample(text, 'pipeline_events_handled_total', { ...labels, outcome: 'failed' }) === 1) break;
      await sleep(50);
    }
    assert.equal(sample(text, 'pipeline_events_handled_total', { ...labels, outcome: 'acked' }), 1, text);
    assert.equal(sample(text, 'pipeline_events_handled_total', { ...labels, outcome: 'retry' }), 1);
    assert.equal(sample(text, 'pipeline_events_handled_total', { ...labels, outcome: 'failed' }), 1);
    assert.equal(sample(text, 'pipeline_handler_failures_total', { ...labels, outcome: 'retry', error_code: 'internal' }), 1);
    assert.equal(sample(text, 'pipeline_handler_failures_total', { ...labels, outcome: 'failed', error_code: 'empty_dataset' }), 1);
    assert.equal(sample(text, 'pipeline_events_redelivered_total', labels), 1, 'the second delivery of the flaky event');
    assert.equal(sample(text, 'pipeline_handler_duration_count', { ...labels, outcome: 'acked' }), 1);
    assert.equal(sample(text, 'pipeline_handler_duration_bucket', { ...labels, outcome: 'acked', le: '+Inf' }), 1);
  });
});
