import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import {
  createEvent,
  isPipelineError,
  parseEvent,
  RunId,
  type Envelope,
  type EventType,
  type Stage,
} from '@taxi-mlops/contracts';
import type { Logger } from './logger';
import type { Names } from './names';
import { runIdOfSubject } from './names';
import type { PublishOptions, PublishResult } from './publish';
import { TRACER_NAME } from './publish';
import { publishDeadLetter } from './dead-letter';
import { extractTraceContext } from './trace-headers';
import { recordDelivery } from './metrics';
import * as attr from './semconv';

export interface ConsumeOptions {
  /** The pipeline stage this consumer is part of; named in the `run.failed` it emits. */
  stage: Stage;
  /** Durable consumer name; default `<service>--<type with '-' for '.'>`. */
  durable?: string;
  /** Handlers running at once in this process (default 1). */
  concurrency?: number;
  /** Deliveries before the message is dead-lettered (default 5). */
  maxDeliver?: number;
  /** Redelivery after this long without ack or heartbeat (default 30 s). */
  ackWaitMs?: number;
  /** nak delays by attempt; the last entry repeats (default [1000, 5000, 15000]). */
  backoffMs?: number[];
  /** Unacked messages allowed across all instances (server default when absent). */
  maxAckPending?: number;
  /**
   * Messages taken ahead of free handler slots (default 0). They are kept alive with heartbeats
   * while they wait, but no other instance can take them: use it for short handlers, where it
   * hides the pull round trip, not for long jobs.
   */
  prefetch?: number;
}

export interface HandlerContext {
  /** Delivery count: 1 on the first delivery. */
  attempt: number;
  maxDeliver: number;
  /** Resets ack_wait; also sent automatically every ack_wait/3 while the handler runs. */
  working: () => void;
  /** Carries runId, event type and attempt. */
  logger: Logger;
  /** Aborted when the service must stop before the handler finished (shutdown grace over). */
  signal: AbortSignal;
  /** The CONSUMER span; events published inside the handler become its children. */
  span: Span;
  /** Stream sequence of the message. */
  seq: number;
  /** A header of the received message (e.g. a benchmark timestamp). */
  header: (name: string) => string | undefined;
}

export type Handler<T extends EventType> = (event: Envelope<T>, ctx: HandlerContext) => Promise<void> | void;

/** What happened to one delivery; recorded on the span as `pipeline.outcome`. */
export type Outcome = 'acked' | 'failed' | 'retry' | 'dead_lettered' | 'interrupted';

export interface ConsumerHandle {
  readonly type: EventType;
  readonly durable: string;
  /** Stops pulling, waits for running handlers (aborting their signal after graceMs). */
  stop(graceMs?: number): Promise<void>;
}

/** What the consumer needs from the bus. */
export interface ConsumerDeps {
  js: JetStreamClient;
  names: Names;
  logger: Logger;
  source: string;
  publish<T extends EventType>(event: Envelope<T>, options?: PublishOptions): Promise<PublishResult>;
  isClosed(): boolean;
}

export interface ResolvedConsumeOptions extends Required<Omit<ConsumeOptions, 'maxAckPending'>> {
  maxAckPending?: number;
}

export function resolveConsumeOptions(service: string, type: EventType, names: Names, options: ConsumeOptions): ResolvedConsumeOptions {
  const resolved = {
    stage: options.stage,
    durable: options.durable ?? names.durable(service, type),
    concurrency: options.concurrency ?? 1,
    maxDeliver: options.maxDeliver ?? 5,
    ackWaitMs: options.ackWaitMs ?? 30_000,
    backoffMs: options.backoffMs ?? [1000, 5000, 15_000],
    maxAckPending: options.maxAckPending,
    prefetch: options.prefetch ?? 0,
  };
  if (!Number.isInteger(resolved.concurrency) || resolved.concurrency < 1) throw new Error(`consume ${type}: concurrency must be an integer >= 1, got ${resolved.concurrency}`);
  if (!Number.isInteger(resolved.maxDeliver) || resolved.maxDeliver < 1) throw new Error(`consume ${type}: maxDeliver must be an integer >= 1, got ${resolved.maxDeliver}`);
  if (!Number.isInteger(resolved.prefetch) || resolved.prefetch < 0) throw new Error(`consume ${type}: prefetch must be an integer >= 0, got ${resolved.prefetch}`);
  if (!(resolved.ackWaitMs >= 100)) throw new Error(`consume ${type}: ackWaitMs must be >= 100, got ${resolved.ackWaitMs}`);
  if (resolved.backoffMs.length === 0 || resolved.backoffMs.some((ms) => !(ms >= 0))) {
    throw new Error(`consume ${type}: backoffMs must be a non-empty list of delays >= 0 ms`);
  }
  return resolved;
}

/** How long one pull waits for messages before asking again (the client's minimum is 1 s). */
const PULL_EXPIRES_MS = 10_000;
const DEFAULT_GRACE_MS = 25_000;

/**
 * Pulls exactly as many messages as there are free handler slots (plus `prefetch`), so by default
 * no message waits in a client buffer behind a long job while an idle instance could take it.
 */
export class PullConsumer<T extends EventType> implements ConsumerHandle {
  /** Deliveries not yet settled (handler running, or ack / nak / dead letter on its way). */
  private readonly inFlight = new Set<Promise<void>>();
  /** The failure code of a delivery whose handler threw, for the failures metric. */
  private readonly errorCodes = new WeakMap<JsMsg, string>();
  /** Handlers running: a slot frees when the handler returns, so the next pull overlaps the ack. */
  private busySlots = 0;
  private slotFreed: (() => void) | undefined;
  /** Prefetched messages waiting for a slot, oldest first. */
  private readonly waiting: JsMsg[] = [];
  private waitingHeartbeat: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private stopping = false;
  private batch: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly type: T,
    private readonly consumer: Consumer,
    private readonly handler: Handler<T>,
    private readonly options: ResolvedConsumeOptions,
    private readonly deps: ConsumerDeps,
  ) {}

  get durable(): string {
    return this.options.durable;
  }

  start(): void {
    if (this.options.prefetch > 0) {
      const every = Math.max(50, Math.floor(this.options.ackWaitMs / 3));
      this.waitingHeartbeat = setInterval(() => this.waiting.forEach((msg) => msg.working()), every);
    }
    this.loop = this.pullLoop();
  }

  async stop(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    this.stopping = true;
    this.slotFreed?.();
    const timer = setTimeout(() => this.abort.abort(new Error('service is shutting down')), graceMs);
    try {
      await this.batch?.close();
      await this.loop;
      for (const msg of this.waiting.splice(0)) msg.nak(); // never started: another instance takes them now
      clearInterval(this.waitingHeartbeat);
      await Promise.all(this.inFlight);
    } finally {
      clearTimeout(timer);
    }
  }

  private async pullLoop(): Promise<void> {
    const capacity = this.options.concurrency + this.options.prefetch;
    while (!this.stopping && !this.deps.isClosed()) {
      const held = this.busySlots + this.waiting.length;
      if (held >= capacity) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        this.batch = await this.consumer.fetch({ max_messages: capacity - held, expires: PULL_EXPIRES_MS });
        if (this.stopping) await this.batch.close(); // stop() ran while the pull was being set up
        for await (const msg of this.batch) {
          if (this.stopping) {
            msg.nak(); // another instance takes it now
            continue;
          }
          if (this.busySlots < this.options.concurrency) this.dispatch(msg);
          else this.waiting.push(msg);
        }
      } catch (error) {
        if (this.stopping || this.deps.isClosed()) break;
        this.deps.logger.warn({ err: error, durable: this.durable }, 'pull failed; retrying');
        await sleep(1000);
      }
    }
  }

  private dispatch(msg: JsMsg): void {
    this.busySlots++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.busySlots--;
      const next = this.stopping ? undefined : this.waiting.shift();
      if (next) this.dispatch(next);
      this.slotFreed?.();
      this.slotFreed = undefined;
    };
    const task: Promise<void> = this.process(msg, release).finally(() => {
      release();
      this.inFlight.delete(task);
    });
    this.inFlight.add(task);
  }

  private process(msg: JsMsg, release: () => void): Promise<void> {
    const { names, logger } = this.deps;
    const tracer = trace.getTracer(TRACER_NAME);
    const parent = extractTraceContext(msg.headers);
    const started = performance.now();
    return tracer.startActiveSpan(
      `process pipeline.${this.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [attr.MESSAGING_SYSTEM]: attr.NATS,
          [attr.MESSAGING_SYSTEM_NAME]: attr.NATS,
          [attr.MESSAGING_DESTINATION_NAME]: msg.subject,
          [attr.MESSAGING_OPERATION_TYPE]: 'process',
          [attr.MESSAGING_OPERATION_NAME]: 'process',
          [attr.MESSAGING_CONSUMER_GROUP_NAME]: this.durable,
          [attr.MESSAGING_MESSAGE_BODY_SIZE]: msg.data.length,
          [attr.NATS_STREAM_SEQUENCE]: msg.seq,
          [attr.NATS_DELIVERY_COUNT]: msg.info.deliveryCount,
          ...(msg.headers?.has('Nats-Msg-Id') ? { [attr.MESSAGING_MESSAGE_ID]: msg.headers.get('Nats-Msg-Id') } : {}),
        },
      },
      parent,
      async (span) => {
        try {
          const outcome = await this.settle(msg, span, release);
          span.setAttribute(attr.PIPELINE_OUTCOME, outcome);
          const errorCode = this.errorCodes.get(msg);
          recordDelivery({ eventType: this.type, stage: this.options.stage, outcome, attempt: msg.info.deliveryCount, durationMs: performance.now() - started, ...(errorCode ? { errorCode } : {}) });
        } catch (error) {
          // Settling itself failed (e.g. the dead letter could not be published): try again later.
          logger.error({ err: error, subject: names.unprefixed(msg.subject), seq: msg.seq }, 'could not settle message; nak');
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          msg.nak(this.backoff(msg.info.deliveryCount));
        } finally {
          span.end();
        }
      },
    );
  }

  /** Parses, runs the handler and acks, naks, dead-letters or terms the message. */
  private async settle(msg: JsMsg, span: Span, release: () => void): Promise<Outcome> {
    const { names } = this.deps;
    const attempt = msg.info.deliveryCount;
    const subject = names.unprefixed(msg.subject);

    const parsed = this.parse(msg);
    if (!parsed.ok) {
      const runId = runIdOfSubject(subject);
      const validRunId = runId !== undefined && RunId.safeParse(runId).success ? runId : undefined;
      this.deps.logger.error({ subject, seq: msg.seq, reason: parsed.reason, runId: validRunId }, 'invalid event; dead-lettered');
      span.setStatus({ code: SpanStatusCode.ERROR, message: parsed.reason });
      this.errorCodes.set(msg, 'invalid_event');
      await publishDeadLetter(this.deps.js, names, msg, { reason: 'invalid_event', error: parsed.reason, consumer: this.durable });
      if (validRunId) await this.runFailed(validRunId, 'invalid_event', `invalid ${this.type} event: ${parsed.reason}`, attempt);
      msg.term(); // no reason argument: nats-server 2.9 ignores `+TERM reason`
      return 'dead_lettered';
    }

    const event = parsed.event;
    span.setAttribute(attr.PIPELINE_RUN_ID, event.subject);
    span.setAttribute(attr.CLOUDEVENTS_EVENT_ID, event.id);
    span.setAttribute(attr.CLOUDEVENTS_EVENT_TYPE, event.type);
    const logger = this.deps.logger.child({ runId: event.subject, eventType: this.type, attempt });

    const heartbeat = setInterval(() => msg.working(), Math.max(50, Math.floor(this.options.ackWaitMs / 3)));
    try {
      await this.handler(event, {
        attempt,
        maxDeliver: this.options.maxDeliver,
        working: () => msg.working(),
        logger,
        signal: this.abort.signal,
        span,
        seq: msg.seq,
        header: (name) => (msg.headers?.has(name) ? msg.headers.get(name) : undefined),
      });
    } catch (error) {
      clearInterval(heartbeat);
      release();
      return this.failed(msg, event, error, span, logger);
    }
    clearInterval(heartbeat);
    release();
    // Wait for the server to record the ack: a lost ack would mean a second run of the work.
    if (!(await msg.ackAck().catch(() => false))) logger.warn('ack not confirmed by the server; the event may be redelivered');
    return 'acked';
  }

  private async failed(msg: JsMsg, event: Envelope<T>, error: unknown, span: Span, logger: Logger): Promise<Outcome> {
    const attempt = msg.info.deliveryCount;
    const err = error instanceof Error ? error : new Error(String(error));
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    this.errorCodes.set(msg, isPipelineError(error) ? error.code : 'internal');

    if (this.abort.signal.aborted) {
      logger.warn({ err }, 'handler interrupted by shutdown; nak for another instance');
      msg.nak();
      return 'interrupted';
    }
    if (isPipelineError(error) && !error.transient) {
      // A business failure (bad file, empty dataset …): retrying cannot help, and it is not poison.
      logger.warn({ err, code: error.code }, 'stage failed');
      await this.runFailed(event.subject, error.code, error.message, attempt);
      msg.ack();
      return 'failed';
    }
    if (attempt < this.options.maxDeliver) {
      const delay = this.backoff(attempt);
      logger.warn({ err, delayMs: delay }, 'handler failed; will retry');
      msg.nak(delay);
      return 'retry';
    }
    logger.error({ err }, 'handler failed on the last delivery; dead-lettered');
    await publishDeadLetter(this.deps.js, this.deps.names, msg, { reason: 'max_deliver', error: err.message, consumer: this.durable });
    const code = isPipelineError(error) ? error.code : 'internal';
    await this.runFailed(event.subject, code, err.message, attempt);
    msg.term();
    return 'dead_lettered';
  }

  private parse(msg: JsMsg): { ok: true; event: Envelope<T> } | { ok: false; reason: string } {
    let payload: unknown;
    try {
      payload = msg.json();
    } catch {
      return { ok: false, reason: 'body is not JSON' };
    }
    return parseEvent(this.type, payload);
  }

  private async runFailed(runId: string, code: string, message: string, attempts: number): Promise<void> {
    const data = { stage: this.options.stage, code, message: message || code, attempts };
    // Default message id: one run.failed per run, however many consumers report it.
    await this.deps.publish(createEvent('run.failed', runId, data, this.deps.source));
  }

  private backoff(attempt: number): number {
    const delays = this.options.backoffMs;
    return delays[Math.min(attempt, delays.length) - 1] ?? 0;
  }
}
