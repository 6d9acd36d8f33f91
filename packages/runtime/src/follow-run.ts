import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { parseEventJson, runSubjectFilter, terminalEventTypes, type Envelope } from '@taxi-mlops/contracts';
import type { Logger } from './logger';
import type { Names } from './names';

export interface FollowRunOptions {
  /** End after run.completed, run.failed or run.cancelled (default true). */
  untilTerminal?: boolean;
  /** Ends the iteration, e.g. when an SSE client goes away. */
  signal?: AbortSignal;
}

/**
 * Every event of one run, oldest first, from an ordered (ephemeral, unacked) consumer over
 * `pipeline.*.*.<runId>`. Messages that are not valid events are logged and skipped.
 */
export async function* followRun(
  js: JetStreamClient,
  names: Names,
  logger: Logger,
  runId: string,
  { untilTerminal = true, signal }: FollowRunOptions = {},
): AsyncGenerator<Envelope> {
  if (signal?.aborted) return;
  const consumer = await js.consumers.get(names.stream, {
    filter_subjects: names.subject(runSubjectFilter(runId)),
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const onAbort = () => void messages.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const msg of messages) {
      const event = parseEventJson(msg.string());
      if (!event.ok) {
        logger.warn({ subject: msg.subject, seq: msg.seq, reason: event.reason }, 'followRun: skipped an invalid event');
        continue;
      }
      yield event.event;
      if (untilTerminal && terminalEventTypes.has(event.event.type)) return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await messages.close();
  }
}

