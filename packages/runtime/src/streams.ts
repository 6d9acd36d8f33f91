import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { Names } from './names';

export interface StreamOptions {
  /** How long a repeated Nats-Msg-Id is recognised as a duplicate. */
  duplicateWindowMs?: number;
  /** How long pipeline events are kept (Limits retention: every consumer reads them). */
  maxAgeMs?: number;
  /** How long dead letters are kept. */
  deadLetterMaxAgeMs?: number;
  /** How long run log lines are kept. */
  logMaxAgeMs?: number;
}

const DAY_MS = 24 * 3600_000;
/**
 * A redelivered stage re-emits its result with the same Nats-Msg-Id; an hour covers realistic
 * redeliveries (ack waits, backoff, a restarted instance), and every process that ensures the
 * streams must agree on it, or the last one to start resets it.
 */
export const DEFAULT_DUPLICATE_WINDOW_MS = 60 * 60_000;
/** "stream name already in use with a different configuration" (not in the client's code table). */
const STREAM_NAME_IN_USE = 10058;

/** Creates or updates the pipeline, dead-letter and run-log streams; safe to call from every service. */
export async function ensureStreams(jsm: JetStreamManager, names: Names, options: StreamOptions = {}): Promise<void> {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: 1,
  };
  await upsertStream(jsm, {
    ...common,
    name: names.stream,
    subjects: [names.streamSubjects],
    max_age: nanos(options.maxAgeMs ?? 7 * DAY_MS),
    duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
  });
  await upsertStream(jsm, {
    ...common,
    name: names.deadLetterStream,
    subjects: [names.deadLetterSubjects],
    max_age: nanos(options.deadLetterMaxAgeMs ?? 30 * DAY_MS),
    duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
  });
  await upsertStream(jsm, {
    ...common,
    name: names.logStream,
    subjects: [names.logSubjects],
    max_age: nanos(options.logMaxAgeMs ?? 7 * DAY_MS),
  });
}

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config); // the same config again is accepted
  } catch (error) {
    if (!isApiError(error, STREAM_NAME_IN_USE)) throw error;
    const existing = await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, { ...existing.config, ...config });
  }
}

export interface DurableConsumerSpec {
  durable: string;
  filterSubject: string;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending?: number;
}

/** Adds the durable pull consumer or updates it (on 2.10+ `add` refuses a changed config). */
export async function ensureDurableConsumer(jsm: JetStreamManager, stream: string, spec: DurableConsumerSpec): Promise<void> {
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: spec.durable,
    filter_subject: spec.filterSubject, // one filter: nats-server 2.9 has no filter_subjects
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
  };
  try {
    await jsm.consumers.info(stream, spec.durable);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    await jsm.consumers.add(stream, config);
    return;
  }
  await jsm.consumers.update(stream, spec.durable, config);
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}
