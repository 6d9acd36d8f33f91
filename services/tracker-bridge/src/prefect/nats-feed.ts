import { setTimeout as sleep } from 'node:timers/promises';
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { parseEventJson, runSubjectFilter, type Envelope } from '@taxi-mlops/contracts';
import { ensureDurableConsumer, type Bus, type Logger } from '@taxi-mlops/runtime';
import { traceIdOf } from './answers';

/**
 * The bridge's NATS side, with the raw JetStream client: one durable consumer over every pipeline
 * event (`pipeline.>`) keeps one total order across event types, which per-type consumers would not.
 */

export interface FeedMessage {
  seq: number;
  ack(): void;
  working(): void;
}

export interface FeedHandlers {
  event(event: Envelope, message: FeedMessage, traceId: string | undefined): void;
  log(runId: string, service: string, body: string, message: FeedMessage): void;
}

export interface NatsFeed {
  stop(): Promise<void>;
}

const ACK_WAIT_MS = 60_000;

/** The service log stream (created by the runtime's ensureStreams). */
export function logStreamName(bus: Bus): string {
  return bus.names.logStream;
}

export function startNatsFeed(bus: Bus, durable: string, handlers: FeedHandlers, logger: Logger): NatsFeed {
  let stopping = false;
  const loops: Array<Promise<void>> = [];
  const open = new Set<ConsumerMessages>();

  async function consumeLoop(stream: string, consumerName: string, filter: string, onMessage: (msg: JsMsg) => void): Promise<void> {
    let warned = false;
    while (!stopping && !bus.nc.isClosed()) {
      try {
        await ensureDurableConsumer(bus.jsm, stream, {
          durable: consumerName,
          filterSubject: filter,
          ackWaitMs: ACK_WAIT_MS,
          maxDeliver: -1, // a message waits for Prefect as long as it takes
          maxAckPending: 20_000,
        });
        const consumer = await bus.js.consumers.get(stream, consumerName);
        const messages = await consumer.consume({ max_messages: 256 });
        open.add(messages);
        warned = false;
        try {
          for await (const msg of messages) onMessage(msg);
        } finally {
          open.delete(messages);
        }
      } catch (error) {
        if (stopping || bus.nc.isClosed()) return;
        if (!warned) logger.warn({ err: error, stream, consumer: consumerName }, 'prefect bridge: cannot consume yet; retrying');
        warned = true;
      }
      if (!stopping) await sleep(2000);
    }
  }

  const toFeedMessage = (msg: JsMsg): FeedMessage => ({ seq: msg.seq, ack: () => msg.ack(), working: () => msg.working() });

  loops.push(
    consumeLoop(bus.names.stream, durable, bus.names.subject('pipeline.>'), (msg) => {
      const parsed = parseEventJson(msg.string());
      if (!parsed.ok) {
        logger.warn({ subject: msg.subject, seq: msg.seq, reason: parsed.reason }, 'prefect bridge: skipped an invalid event');
        msg.ack(); // the pipeline's own consumers dead-letter it; the mirror has nothing to show
        return;
      }
      handlers.event(parsed.event, toFeedMessage(msg), traceIdOf(msg.headers?.get('traceparent')));
    }),
  );
  loops.push(
    consumeLoop(logStreamName(bus), `${durable}-logs`, bus.names.logSubjects, (msg) => {
      const [runId, service] = bus.names.unprefixed(msg.subject).split('.').slice(1, 3);
      if (!runId || !service) {
        msg.ack();
        return;
      }
      handlers.log(runId, service, msg.string(), toFeedMessage(msg));
    }),
  );

  return {
    async stop() {
      stopping = true;
      await Promise.all([...open].map((messages) => messages.close()));
      await Promise.all(loops);
    },
  };
}

/** Every event of one run already in the stream, oldest first, read with an ordered consumer. */
export async function readRunHistory(bus: Bus, runId: string): Promise<Array<{ event: Envelope; seq: number; traceId?: string }>> {
  const consumer = await bus.js.consumers.get(bus.names.stream, {
    filter_subjects: bus.names.subject(runSubjectFilter(runId)),
    deliver_policy: DeliverPolicy.All,
  });
  const history: Array<{ event: Envelope; seq: number; traceId?: string }> = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let last: JsMsg | undefined;
    for await (const msg of batch) {
      last = msg;
      const parsed = parseEventJson(msg.string());
      if (parsed.ok) history.push({ event: parsed.event, seq: msg.seq, traceId: traceIdOf(msg.headers?.get('traceparent')) });
    }
    if (!last || last.info.pending === 0) return history;
  }
}


export { ACK_WAIT_MS };
