import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Names } from './names';

/** Why a message was dead-lettered (the `x-dlq-reason` header). */
export type DeadLetterReason = 'invalid_event' | 'max_deliver';

/** Headers on every dead letter; the original headers (traceparent …) are kept as well. */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  error: 'x-error',
  originalSubject: 'x-original-subject',
  originalStream: 'x-original-stream',
  originalSeq: 'x-original-seq',
  consumer: 'x-consumer',
  deliveryCount: 'x-delivery-count',
} as const;

export interface DeadLetterInfo {
  reason: DeadLetterReason;
  error: string;
  consumer: string;
}

/**
 * Copies `msg` to `dlq.<original subject>`. The message id includes the stream sequence and the
 * consumer, so a retried dead-lettering is stored once while two consumers each keep their own.
 */
export async function publishDeadLetter(js: JetStreamClient, names: Names, msg: JsMsg, info: DeadLetterInfo): Promise<void> {
  const headers = natsHeaders();
  for (const [key, values] of msg.headers ?? []) {
    if (key.toLowerCase().startsWith('nats-')) continue; // the server's own headers (Nats-Msg-Id …)
    for (const value of values) headers.append(key, value);
  }
  headers.set(DLQ_HEADERS.reason, info.reason);
  headers.set(DLQ_HEADERS.error, headerSafe(info.error));
  headers.set(DLQ_HEADERS.originalSubject, msg.subject);
  headers.set(DLQ_HEADERS.originalStream, names.stream);
  headers.set(DLQ_HEADERS.originalSeq, String(msg.seq));
  headers.set(DLQ_HEADERS.consumer, info.consumer);
  headers.set(DLQ_HEADERS.deliveryCount, String(msg.info.deliveryCount));
  await js.publish(names.deadLetter(msg.subject), msg.data, {
    msgID: `dlq:${names.stream}:${msg.seq}:${info.consumer}`,
    headers,
  });
}

/** Header values are one line; keep them short too. */
function headerSafe(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return (line.length > 1000 ? `${line.slice(0, 1000)}…` : line) || '(no message)';
}
