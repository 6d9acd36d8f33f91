import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { createEvent, subjectFilterFor, type Envelope, type EventDataInput, type EventType } from '@taxi-mlops/contracts';
import { createLogger, type Logger } from './logger';
import { Names } from './names';
import { ensureDurableConsumer, ensureStreams, type StreamOptions } from './streams';
import { publishEvent, type PublishOptions, type PublishResult } from './publish';
import { PullConsumer, resolveConsumeOptions, type ConsumeOptions, type ConsumerHandle, type Handler } from './consume';
import { followRun, type FollowRunOptions } from './follow-run';

export interface BusOptions {
  servers: string | string[];
  /** Service name: the NATS connection name, the default durable prefix and the event source. */
  name: string;
  /** Prefix for every subject and stream (env NATS_NAMESPACE); tests use a random one. */
  namespace?: string;
  logger?: Logger;
  /** CloudEvents `source` of emitted events; default `/services/<name>`. */
  source?: string;
  /** Keep retrying the first connection (compose start order); default false: fail fast. */
  waitOnFirstConnect?: boolean;
}

export interface Bus {
  readonly name: string;
  readonly names: Names;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly logger: Logger;
  /** nats-server version, e.g. "2.9.10". */
  readonly serverVersion: string;
  ensureStreams(options?: StreamOptions): Promise<void>;
  publish<T extends EventType>(event: Envelope<T>, options?: PublishOptions): Promise<PublishResult>;
  /** `createEvent` + `publish`, with this service as the source. */
  emit<T extends EventType>(type: T, runId: string, data: EventDataInput<T>, options?: PublishOptions): Promise<PublishResult & { event: Envelope<T> }>;
  consume<T extends EventType>(type: T, handler: Handler<T>, options: ConsumeOptions): Promise<ConsumerHandle>;
  /** Every event of one run, oldest first; ends after the terminal event by default. */
  followRun(runId: string, options?: FollowRunOptions): AsyncGenerator<Envelope>;
  /** Stops pulling and waits for running handlers; the connection stays open. */
  stopConsumers(graceMs?: number): Promise<void>;
  /** Deletes this namespace's streams (tests). */
  deleteStreams(): Promise<void>;
  /** Stops the consumers, then drains and closes the connection. */
  close(graceMs?: number): Promise<void>;
}

export async function connectBus(options: BusOptions): Promise<Bus> {
  const names = new Names(options.namespace);
  const logger = options.logger ?? createLogger({ service: options.name });
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    waitOnFirstConnect: options.waitOnFirstConnect ?? false,
    maxReconnectAttempts: -1, // the default (10) would give up during a long broker restart
    reconnectTimeWait: 1000,
    // Async stack traces build an Error per request (every publish and ack): ~5% CPU in the bus benchmark.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== 'ping') logger.info({ nats: status.type }, 'nats status');
    }
  })();
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const source = options.source ?? `/services/${options.name}`;
  const consumers: ConsumerHandle[] = [];

  const publish = <T extends EventType>(event: Envelope<T>, publishOptions?: PublishOptions) => publishEvent(js, names, event, publishOptions);

  const bus: Bus = {
    name: options.name,
    names,
    nc,
    js,
    jsm,
    logger,
    serverVersion: nc.info?.version ?? 'unknown',
    ensureStreams: (streamOptions) => ensureStreams(jsm, names, streamOptions),
    publish,
    async emit(type, runId, data, publishOptions) {
      const event = createEvent(type, runId, data, source);
      return { ...(await publish(event, publishOptions)), event };
    },
    async consume(type, handler, consumeOptions) {
      const resolved = resolveConsumeOptions(options.name, type, names, consumeOptions);
      await ensureDurableConsumer(jsm, names.stream, {
        durable: resolved.durable,
        filterSubject: names.subject(subjectFilterFor(type)),
        ackWaitMs: resolved.ackWaitMs,
        maxDeliver: resolved.maxDeliver,
        maxAckPending: resolved.maxAckPending,
      });
      const consumer = await js.consumers.get(names.stream, resolved.durable);
      const pull = new PullConsumer(type, consumer, handler, resolved, {
        js,
        names,
        logger,
        source,
        publish,
        isClosed: () => nc.isClosed(),
      });
      pull.start();
      consumers.push(pull);
      logger.info({ durable: resolved.durable, type, concurrency: resolved.concurrency }, 'consuming');
      return pull;
    },
    followRun: (runId, followOptions) => followRun(js, names, logger, runId, followOptions),
    async stopConsumers(graceMs) {
      await Promise.all(consumers.splice(0).map((c) => c.stop(graceMs)));
    },
    async deleteStreams() {
      await bus.stopConsumers(0);
      for (const stream of [names.stream, names.deadLetterStream, names.logStream]) {
        await jsm.streams.delete(stream).catch(() => false); // already gone is fine
      }
    },
    async close(graceMs) {
      await bus.stopConsumers(graceMs);
      if (!nc.isClosed()) await nc.drain();
    },
  };
  return bus;
}
