// Bus hop latency: publish → handler start through the real nats-server, measured with a
// timestamp header written just before `bus.publish`. Run: npx tsx bench/bus-hop.ts [--count N]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { AckPolicy } from '@nats-io/jetstream';
import { createEvent, messageIdFor } from '@taxi-mlops/contracts';
import { connectBus, createLogger, startTelemetry, type Bus } from '@taxi-mlops/runtime';
import { summarize, type LatencySummary } from './lib/percentiles';
import { describeMachine } from './lib/machine';
import { writeDocsSection } from './lib/docs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '500' },
    servers: { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const COUNT = Number(args.count);
const WARMUP = Number(args.warmup);
const SENT_HEADER = 'x-bench-sent-ms';

interface Scenario {
  name: string;
  /** Publishes awaited at once: 0 = wait for the handler before the next; 1 = one publish at a time; more = a burst that queues. */
  window: number;
  concurrency: number;
  prefetch?: number;
}

interface Result extends LatencySummary {
  scenario: string;
  eventsPerSecond: number;
}

/** Each scenario gets its own namespace (streams): a new durable would otherwise replay earlier events. */
async function runScenario(scenario: Scenario, index: number): Promise<Result> {
  const bus = await connectBus({ servers: args.servers, name: 'bench', namespace: `bench${randomBytes(4).toString('hex')}`, logger });
  try {
    await bus.ensureStreams();
    return await measure(bus, scenario, index);
  } finally {
    await bus.deleteStreams();
    await bus.close(0);
  }
}

async function measure(bus: Bus, scenario: Scenario, index: number): Promise<Result> {
  const runId = `bench-${index}-${randomBytes(3).toString('hex')}`;
  const total = WARMUP + COUNT;
  const latencies: number[] = [];
  let handled = 0;
  let onHandled: (() => void) | undefined;
  let allHandled!: () => void;
  const finished = new Promise<void>((resolve) => (allHandled = resolve));

  const consumer = await bus.consume(
    'stage.started',
    (event, ctx) => {
      const latency = performance.now() - Number(ctx.header(SENT_HEADER));
      if (event.data.attempt > WARMUP) latencies.push(latency);
      onHandled?.();
      if (++handled === total) allHandled();
    },
    { stage: 'ingest', durable: `bench-${index}`, concurrency: scenario.concurrency, prefetch: scenario.prefetch ?? 0 },
  );

  // Events are built up front so the figure is the bus, not zod on the producer side.
  const events = Array.from({ length: total }, (_, i) => createEvent('stage.started', runId, { stage: 'ingest', attempt: i + 1 }, '/bench'));
  const started = performance.now();
  let next = 0;
  const publisher = async () => {
    while (next < total) {
      const i = next++;
      const event = events[i]!;
      await bus.publish(event, { msgId: messageIdFor('stage.started', runId, String(i)), headers: { [SENT_HEADER]: String(performance.now()) } });
    }
  };
  if (scenario.window === 0) {
    // Ping-pong: no queue can build up, so this is the hop itself.
    for (let i = 0; i < total; i++) {
      const hop = new Promise<void>((resolve) => (onHandled = resolve));
      await bus.publish(events[i]!, { msgId: messageIdFor('stage.started', runId, String(i)), headers: { [SENT_HEADER]: String(performance.now()) } });
      await hop;
    }
  } else {
    await Promise.all(Array.from({ length: scenario.window }, publisher));
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  return { scenario: scenario.name, ...summarize(latencies), eventsPerSecond: total / seconds };
}

/**
 * Baseline without the runtime: the bare nats.js client (consume() with its prefetch buffer, plain
 * ack, no spans, no zod), ping-pong. What is left above it is the runtime's share.
 */
async function rawPingPong(index: number): Promise<Result> {
  const bus = await connectBus({ servers: args.servers, name: 'bench', namespace: `bench${randomBytes(4).toString('hex')}`, logger });
  try {
    await bus.ensureStreams();
    const durable = `raw-${index}`;
    await bus.jsm.consumers.add(bus.names.stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: bus.names.subject('pipeline.>') });
    const messages = await (await bus.js.consumers.get(bus.names.stream, durable)).consume({ max_messages: 100 });
    const total = WARMUP + COUNT;
    const latencies: number[] = [];
    let onHandled: (() => void) | undefined;
    void (async () => {
      let n = 0;
      for await (const msg of messages) {
        const latency = performance.now() - Number(msg.headers?.get(SENT_HEADER));
        if (++n > WARMUP) latencies.push(latency);
        msg.ack();
        onHandled?.();
      }
    })();
    const subject = bus.names.subject('pipeline.stage.started.raw');
    const body = JSON.stringify(createEvent('stage.started', 'raw', { stage: 'ingest', attempt: 1 }, '/bench'));
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const hop = new Promise<void>((resolve) => (onHandled = resolve));
      const h = natsHeaders();
      h.set(SENT_HEADER, String(performance.now()));
      await bus.js.publish(subject, body, { msgID: `raw-${i}`, headers: h });
      await hop;
    }
    const seconds = (performance.now() - started) / 1000;
    await messages.close();
    return { scenario: 'baseline: bare nats.js client, ping-pong', ...summarize(latencies), eventsPerSecond: total / seconds };
  } finally {
    await bus.deleteStreams();
    await bus.close(0);
  }
}

function table(results: Result[]): string {
  const ms = (n: number) => n.toFixed(2);
  const rows = results.map((r) => `| ${r.scenario} | ${r.count} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${Math.round(r.eventsPerSecond)} |`);
  return ['| scenario | events | p50 ms | p90 ms | p99 ms | max ms | events/s |', '|---|---:|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

const logger = createLogger({ service: 'bench', level: 'warn' });
const scenarios: Scenario[] = [
  { name: 'ping-pong: next publish after the handler started', window: 0, concurrency: 1 },
  { name: 'ping-pong, prefetch 1', window: 0, concurrency: 1, prefetch: 1 },
  { name: 'one publish at a time (awaited), concurrency 1', window: 1, concurrency: 1 },
  { name: 'one publish at a time, concurrency 1, prefetch 16', window: 1, concurrency: 1, prefetch: 16 },
  { name: 'burst: 32 publishes in flight, concurrency 8', window: 32, concurrency: 8 },
  { name: 'burst: 32 publishes in flight, concurrency 8, prefetch 64', window: 32, concurrency: 8, prefetch: 64 },
];
const results: Result[] = [await rawPingPong(99)];
for (const [i, scenario] of scenarios.entries()) results.push(await runScenario(scenario, i));

// Tracing on: the real SDK with spans created and dropped (what a service does with no OTLP endpoint).
const telemetry = startTelemetry({ serviceName: 'bench', env: {} });
results.push(await runScenario({ name: 'ping-pong + tracing SDK (no export)', window: 0, concurrency: 1 }, scenarios.length));
results.push(await runScenario({ name: 'one publish at a time, prefetch 16 + tracing SDK (no export)', window: 1, concurrency: 1, prefetch: 16 }, scenarios.length + 1));
await telemetry.shutdown();

const probe = await connectBus({ servers: args.servers, name: 'bench', logger });
const serverVersion = probe.serverVersion;
await probe.close(0);
const machineLine = `${describeMachine()}, nats-server ${serverVersion} (JetStream, file storage); load average at the end ${loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ')}`;
const report = `${table(results)}\n\n${COUNT} measured events per scenario after ${WARMUP} warm-up. ${machineLine}.`;
console.log(report);
if (args['write-docs']) {
  await writeDocsSection(fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)), 'bus-hop', report);
  console.log('\nwrote docs/benchmarks.md (section bus-hop)');
}
