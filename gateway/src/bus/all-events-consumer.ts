import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { parseEventJson, STREAM_SUBJECTS } from '@taxi-mlops/contracts';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ensureDurableConsumer, extractTraceContext, type Bus, type Logger } from '@taxi-mlops/runtime';
import type { AnyEnvelope } from '../projection/apply';

/**
 * Gateway-local adapter: the runtime's `consume` is one durable per event type, but the projection
 * needs every pipeline event, in stream order, through ONE durable (filter `pipeline.>`).
 * Candidate for the runtime (`bus.consumeAll`).
 */
export interface AllEventsHandlerMeta {
  streamSeq: number;
  traceId?: string;
}
export type AllEventsHandler = (event: AnyEnvelope, meta: AllEventsHandlerMeta) => Promise<void>;

export interface AllEventsConsumerOptions {
  durable: string;
  logger: Logger;
  /** Redelivery after this long without an ack (default 30 s). */
  ackWaitMs?: number;
  /** Delay before a failed event (e.g. PostgreSQL down) is offered again; doubles up to 30 s. */
  retryDelayMs?: number;
}

export interface AllEventsConsumer {
  stop(): Promise<void>;
}

type BusPart = Pick<Bus, 'js' | 'jsm' | 'names'>;

export async function consumeAllEvents(bus: BusPart, handler: AllEventsHandler, options: AllEventsConsumerOptions): Promise<AllEventsConsumer> {
  const { js, jsm, names } = bus;
  await ensureDurableConsumer(jsm, names.stream, {
    durable: options.durable,
    filterSubject: names.subject(STREAM_SUBJECTS),
    ackWaitMs: options.ackWaitMs ?? 30_000,
    // Never give up on an event: the projection must see them all (a failure here is PostgreSQL
    // being away, not a bad event; bad events are acked and skipped below).
    maxDeliver: -1,
  });

  const consumer = await js.consumers.get(names.stream, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });
  const retryBase = options.retryDelayMs ?? 500;
  let failures = 0;

  const loop = (async () => {
    for await (const msg of messages) {
      const event = toEvent(msg, options.logger);
      if (!event) {
        msg.term(); // not a pipeline event: redelivering it cannot help
        continue;
      }
      try {
        await inConsumerSpan(msg, event, () => handler(event, { streamSeq: msg.seq, ...traceIdOf(msg) }));
        msg.ack();
        failures = 0;
      } catch (error) {
        failures++;
        const delay = Math.min(30_000, retryBase * 2 ** Math.min(failures - 1, 10));
        options.logger.error({ err: error, seq: msg.seq, runId: event.subject, type: event.type, delayMs: delay }, 'projection failed; event will be redelivered');
        msg.nak(delay);
        // Pause before the next one: whatever failed (the database) is likely to fail again now.
        await sleep(delay);
      }
    }
  })();

  return {
    async stop() {
      await messages.close();
      await loop;
    },
  };
}

/** A CONSUMER span under the producer's: the projection's queries join the run's trace. */
function inConsumerSpan(msg: JsMsg, event: AnyEnvelope, work: () => Promise<void>): Promise<void> {
  const tracer = trace.getTracer('@taxi-mlops/gateway');
  const attributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': msg.subject,
    'messaging.operation.type': 'process',
    'cloudevents.event_id': event.id,
    'cloudevents.event_type': event.type,
    'pipeline.run_id': event.subject,
  };
  return tracer.startActiveSpan(`process pipeline.${event.type}`, { kind: SpanKind.CONSUMER, attributes }, extractTraceContext(msg.headers), async (span) => {
    try {
      await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

function toEvent(msg: JsMsg, logger: Logger): AnyEnvelope | undefined {
  const parsed = parseEventJson(msg.string());
  if (!parsed.ok) {
    logger.warn({ subject: msg.subject, seq: msg.seq, reason: parsed.reason }, 'projection: skipped an invalid event');
    return undefined;
  }
  return parsed.event as AnyEnvelope;
}

/** The trace id of a W3C `traceparent` header: version-traceid-spanid-flags. */
function traceIdOf(msg: JsMsg): { traceId?: string } {
  const traceparent = msg.headers?.get('traceparent') ?? '';
  const traceId = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent)?.[1];
  return traceId && !/^0+$/.test(traceId) ? { traceId } : {};
}
