import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '@taxi-mlops/contracts';
import type { Logger } from '@taxi-mlops/runtime';
import { PrefectApiError } from './client';
import { decide, decideTimeout, initialRunState, type DecideContext, type PrefectAction, type RunState, type TaskName } from './decide';
import type { FlowRunWriter } from './flow-run-writer';
import type { ServiceLogLine } from './service-logs';

/** A message the mirror acknowledges once the Prefect calls it caused have been made. */
export interface Settleable {
  seq: number;
  ack(): void;
  /** Tells the server the message is still being worked on (resets its ack wait). */
  working(): void;
}

export interface RunMirrorOptions {
  ctx: DecideContext;
  runTimeoutMinutes: number;
  logger: Logger;
  /** Reads the run's events already in the stream (oldest first) with their sequence and trace id. */
  history(): Promise<Array<{ event: Envelope; seq: number; traceId?: string }>>;
  /** Called once the run is ended and everything is written. */
  onDone(): void;
}

type QueueItem = { kind: 'actions'; actions: PrefectAction[]; upToSeq: number } | { kind: 'logs'; lines: ServiceLogLine[]; settle: Settleable[] };

const MAX_RETRY_DELAY_MS = 10_000;
const LOG_FLUSH_MS = 500;

/**
 * One pipeline run's mirror. Events are folded into the run's state in stream order, the resulting
 * Prefect calls run one at a time in that order, and each NATS message is acknowledged only after
 * its calls went through: if Prefect is down the calls wait (retrying) while consumption goes on,
 * and if the bridge dies the unacknowledged messages come back and the run is rebuilt from the stream.
 */
export class RunMirror {
  state: RunState;
  private foldedSeq = 0;
  private appliedSeq = 0;
  private readonly held: Settleable[] = [];
  private readonly queue: QueueItem[] = [];
  private pendingLogs: { lines: ServiceLogLine[]; settle: Settleable[] } = { lines: [], settle: [] };
  private logTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private working = false;
  private stopped = false;
  private readonly ready: Promise<void>;

  constructor(
    readonly runId: string,
    readonly writer: FlowRunWriter,
    private readonly options: RunMirrorOptions,
  ) {
    this.state = initialRunState(runId);
    this.ready = this.bootstrap();
  }

  get ended(): boolean {
    return this.state.ended !== undefined;
  }

  /** True once ended and every queued call is written. */
  get done(): boolean {
    return this.ended && this.queue.length === 0 && !this.working && this.pendingLogs.lines.length === 0;
  }

  /** A pipeline event from the durable consumer. */
  receive(event: Envelope, message: Settleable, traceId?: string): void {
    this.held.push(message);
    void this.ready.then(() => {
      if (message.seq > this.foldedSeq) this.fold(event, message.seq, traceId);
      this.settleHeld();
      this.pump();
    });
  }

  /** A service log line about this run. */
  receiveLog(line: ServiceLogLine, message: Settleable): void {
    this.pendingLogs.lines.push(line);
    this.pendingLogs.settle.push(message);
    this.logTimer ??= setTimeout(() => {
      this.logTimer = undefined;
      void this.ready.then(() => {
        const batch = this.pendingLogs;
        this.pendingLogs = { lines: [], settle: [] };
        this.queue.push({ kind: 'logs', ...batch });
        this.pump();
      });
    }, LOG_FLUSH_MS);
  }

  /** Pending messages: the caller keeps them from being redelivered while Prefect is away. */
  heldMessages(): readonly Settleable[] {
    return [...this.held, ...this.pendingLogs.settle, ...this.queue.flatMap((item) => (item.kind === 'logs' ? item.settle : []))];
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.logTimer);
  }

  private async bootstrap(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        for (const { event, seq, traceId } of await this.options.history()) {
          if (seq > this.foldedSeq) this.fold(event, seq, traceId);
        }
        return;
      } catch (error) {
        this.options.logger.warn({ err: error, runId: this.runId }, 'prefect mirror: could not read the run history; retrying');
        await sleep(Math.min(MAX_RETRY_DELAY_MS, 500 * attempt));
      }
    }
  }

  private fold(event: Envelope, seq: number, traceId?: string): void {
    const decision = decide(this.state, event, this.options.ctx, traceId);
    this.state = decision.state;
    this.foldedSeq = seq;
    this.queue.push({ kind: 'actions', actions: decision.actions, upToSeq: seq });
    this.armTimeout();
  }

  private armTimeout(): void {
    clearTimeout(this.timeoutTimer);
    if (this.ended || !this.state.requested || this.stopped) return;
    const timeoutMs = this.options.runTimeoutMinutes * 60_000;
    const last = Date.parse(this.state.lastEventTime ?? '') || Date.now();
    this.timeoutTimer = setTimeout(() => {
      const decision = decideTimeout(this.state, this.options.runTimeoutMinutes);
      this.state = decision.state;
      this.queue.push({ kind: 'actions', actions: decision.actions, upToSeq: this.foldedSeq });
      this.pump();
    }, Math.max(0, last + timeoutMs - Date.now()));
    this.timeoutTimer.unref();
  }

  private settleHeld(): void {
    for (let i = this.held.length - 1; i >= 0; i--) {
      const message = this.held[i]!;
      if (message.seq <= this.appliedSeq) {
        message.ack();
        this.held.splice(i, 1);
      }
    }
  }

  private pump(): void {
    if (this.working || this.stopped) return;
    this.working = true;
    void this.drain().finally(() => {
      this.working = false;
      if (this.queue.length > 0 && !this.stopped) this.pump();
      else if (this.done) this.options.onDone();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const item = this.queue[0]!;
      if (item.kind === 'actions') {
        for (const action of item.actions) {
          const changed = await this.retrying(`${action.kind}`, () => this.writer.apply(action));
          const log = action.log;
          if (changed && log) await this.retrying('log', () => this.writer.log(log.level, log.message, taskOf(action)));
          if (this.stopped) return;
          item.actions = item.actions.slice(1); // a restart of drain() resumes after the done action
        }
        this.appliedSeq = Math.max(this.appliedSeq, item.upToSeq);
        this.settleHeld();
      } else {
        if (this.state.requested) await this.retrying('logs', () => this.writer.postLogs(item.lines));
        else this.options.logger.warn({ runId: this.runId, lines: item.lines.length }, 'prefect mirror: log lines of a run without run.requested; dropped');
        for (const message of item.settle) message.ack();
      }
      this.queue.shift();
    }
  }

  /** Retries until Prefect takes the call; a call Prefect refuses for good is logged and skipped. */
  private async retrying<T>(what: string, call: () => Promise<T>): Promise<T | false> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const retryable = error instanceof PrefectApiError && error.retryable;
        if (!retryable || this.stopped) {
          this.options.logger.error({ err: error, runId: this.runId, what }, 'prefect mirror: call refused; skipped');
          return false;
        }
        if (attempt === 1 || attempt % 10 === 0) {
          this.options.logger.warn({ err: error, runId: this.runId, what, attempt }, 'prefect mirror: Prefect unavailable; will retry');
        }
        await sleep(Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}

function taskOf(action: PrefectAction): TaskName | undefined {
  return action.kind === 'startTask' || action.kind === 'endTask' ? action.task : undefined;
}
