import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { messageIdFor, subjectFor, type Envelope, type EventType } from '@taxi-mlops/contracts';
import type { Names } from './names';
import { injectTraceContext } from './trace-headers';
import * as attr from './semconv';

export interface PublishOptions {
  /** Nats-Msg-Id; defaults to `messageIdFor(type, runId)`: one event of a type per run. */
  msgId?: string;
  /** Extra headers (e.g. a benchmark timestamp). */
  headers?: Record<string, string>;
}

export interface PublishResult {
  subject: string;
  msgId: string;
  /** Stream sequence; for a duplicate, the sequence of the message stored first. */
  seq: number;
  /** True when the same msgId was already stored inside the duplicate window. */
  duplicate: boolean;
}

export const TRACER_NAME = '@taxi-mlops/runtime';

/** Publishes an event to its subject inside a PRODUCER span whose context travels in the headers. */
export async function publishEvent<T extends EventType>(
  js: JetStreamClient,
  names: Names,
  event: Envelope<T>,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const subject = names.subject(subjectFor(event.type, event.subject));
  const msgId = options.msgId ?? messageIdFor(event.type, event.subject);
  const body = JSON.stringify(event);
  const tracer = trace.getTracer(TRACER_NAME);
  // Span names use the subject template, not the run id, to keep their cardinality low.
  return tracer.startActiveSpan(
    `send pipeline.${event.type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [attr.MESSAGING_SYSTEM]: attr.NATS,
        [attr.MESSAGING_SYSTEM_NAME]: attr.NATS,
        [attr.MESSAGING_DESTINATION_NAME]: subject,
        [attr.MESSAGING_OPERATION_TYPE]: 'send',
        [attr.MESSAGING_OPERATION_NAME]: 'publish',
        [attr.MESSAGING_MESSAGE_ID]: msgId,
        [attr.MESSAGING_MESSAGE_BODY_SIZE]: Buffer.byteLength(body),
        [attr.CLOUDEVENTS_EVENT_ID]: event.id,
        [attr.CLOUDEVENTS_EVENT_TYPE]: event.type,
        [attr.PIPELINE_RUN_ID]: event.subject,
      },
    },
    async (span) => {
      try {
        const headers = natsHeaders();
        headers.set('content-type', 'application/json');
        headers.set('ce-type', event.type); // lets tools route or filter without parsing the body
        headers.set('ce-id', event.id);
        for (const [key, value] of Object.entries(options.headers ?? {})) headers.set(key, value);
        injectTraceContext(headers);
        const ack = await js.publish(subject, body, { msgID: msgId, headers });
        span.setAttribute(attr.NATS_STREAM_SEQUENCE, ack.seq);
        if (ack.duplicate) span.setAttribute(attr.NATS_DUPLICATE, true);
        return { subject, msgId, seq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
