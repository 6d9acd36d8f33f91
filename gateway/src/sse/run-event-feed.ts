import pg from 'pg';
import { RUN_EVENTS_CHANNEL } from '../projection/store';

type Listener = (seq: number) => void;

/**
 * One LISTEN connection per gateway, fanned out to the SSE streams of each run. The projection
 * NOTIFYs after each stored event (from whichever gateway instance stored it), so a stream learns
 * that its run has news and reads it from the table: ordered, nothing missed, nothing twice.
 */
export class RunEventFeed {
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnecting: Promise<void> | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => this.dispatch(message.payload ?? ''));
    client.on('error', (error) => {
      this.onError(error);
      this.reconnectSoon();
    });
    client.on('end', () => this.reconnectSoon());
    await client.connect();
    await client.query(`LISTEN ${RUN_EVENTS_CHANNEL}`);
    this.client = client;
    // After a reconnect a notification may have been missed: wake every stream to re-read.
    for (const [, set] of this.listeners) for (const listener of set) listener(0);
  }

  /** Calls `listener` with the new event's seq whenever an event of `runId` is stored; returns the unsubscribe. */
  subscribe(runId: string, listener: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => {});
  }

  private dispatch(payload: string): void {
    const separator = payload.lastIndexOf(':');
    const runId = payload.slice(0, separator);
    const seq = Number(payload.slice(separator + 1));
    for (const listener of this.listeners.get(runId) ?? []) listener(seq);
  }

  private reconnectSoon(): void {
    if (this.closed || this.reconnecting) return;
    this.client = undefined;
    this.reconnecting = (async () => {
      while (!this.closed) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        try {
          await this.start();
          break;
        } catch (error) {
          this.onError(error);
        }
      }
      this.reconnecting = undefined;
    })();
  }
}
