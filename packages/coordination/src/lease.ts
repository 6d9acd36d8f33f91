import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Bus, Logger } from '@taxi-mlops/runtime';

export interface LeaseOptions {
  /** A holder that has not renewed for this long is presumed dead and its lease is taken over. */
  leaseMs: number;
  /** How often a waiting contender looks again (default leaseMs / 4, at most 1 s). */
  pollMs?: number;
  /** Who holds a lease, for logs: the service instance. */
  owner: string;
  logger?: Logger;
}

export interface WithLeaseOptions {
  signal?: AbortSignal;
  /** Called once per holder seen while waiting (e.g. to log who is doing the work). */
  onWait?: (holder: string) => void;
}

/** One KV bucket per namespace; a crashed holder's key disappears after a day at the latest. */
export function leaseBucketName(bus: Bus): string {
  return bus.names.namespace ? `pipeline-leases-${bus.names.namespace}` : 'pipeline-leases';
}

const BUCKET_MAX_AGE_MS = 24 * 3600_000;

/**
 * Work leases in a NATS KV bucket (everything used works on nats-server 2.9: create-only put,
 * compare-and-set update, delete). `withLease(key, work)` runs `work` while no other process runs
 * work under the same key. The holder renews every leaseMs / 3, which changes the key's revision;
 * a contender that sees the same revision for leaseMs - on its own clock, so clock skew between
 * hosts does not matter - takes the lease over with a compare-and-set. KV per-key TTLs would be
 * simpler but are silently ignored by 2.9.
 *
 * A lease is an optimisation, not the safety net: work under a lease writes content-addressed
 * artifacts atomically, so a holder that lost its lease (paused longer than leaseMs) can only
 * repeat work, never produce a different result.
 */
export class WorkLeases {
  private constructor(
    private readonly kv: KV,
    private readonly options: Required<Omit<LeaseOptions, 'logger'>> & { logger?: Logger },
  ) {}

  static async open(bus: Bus, options: LeaseOptions): Promise<WorkLeases> {
    if (!(options.leaseMs >= 100)) throw new Error(`leaseMs must be >= 100, got ${options.leaseMs}`);
    const kv = await new Kvm(bus.js).create(leaseBucketName(bus), { history: 1, ttl: BUCKET_MAX_AGE_MS });
    return new WorkLeases(kv, { pollMs: Math.min(1000, Math.max(25, Math.floor(options.leaseMs / 4))), ...options });
  }

  async withLease<T>(key: string, work: () => Promise<T>, { signal, onWait }: WithLeaseOptions = {}): Promise<T> {
    const token = `${this.options.owner}/${randomUUID()}`;
    const value = () => JSON.stringify({ holder: token, at: new Date().toISOString() });
    let revision = await this.acquire(key, value, signal, onWait);
    let lost = false;
    let renewing = Promise.resolve();
    const renew = setInterval(() => {
      renewing = renewing.then(async () => {
        if (lost) return;
        try {
          revision = await this.kv.update(key, value(), revision);
        } catch (error) {
          lost = true;
          this.options.logger?.warn({ err: error, key }, 'lease lost to another instance; finishing anyway (outputs are idempotent)');
        }
      });
    }, Math.max(30, Math.floor(this.options.leaseMs / 3)));
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await renewing;
      // Only our own revision is deleted: a lease taken over meanwhile stays with its new holder.
      if (!lost) await this.kv.delete(key, { previousSeq: revision }).catch(() => undefined);
    }
  }

  private async acquire(key: string, value: () => string, signal?: AbortSignal, onWait?: (holder: string) => void): Promise<number> {
    const { leaseMs, pollMs } = this.options;
    let seenRevision = 0;
    let seenSince = 0;
    for (;;) {
      signal?.throwIfAborted();
      try {
        return await this.kv.create(key, value());
      } catch (error) {
        if (!isCompareAndSetConflict(error)) throw error;
      }
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT') {
        if (entry.revision !== seenRevision) {
          seenRevision = entry.revision;
          seenSince = performance.now();
          onWait?.(holderOf(entry.string()));
        } else if (performance.now() - seenSince >= leaseMs) {
          try {
            const taken = await this.kv.update(key, value(), entry.revision);
            this.options.logger?.warn({ key, holder: holderOf(entry.string()) }, 'lease holder stopped renewing; taken over');
            return taken;
          } catch (error) {
            if (!isCompareAndSetConflict(error)) throw error;
          }
        }
      }
      // Released or deleted meanwhile: the next create succeeds (or loses to a faster contender).
      await sleep(pollMs, undefined, signal ? { signal } : undefined);
    }
  }
}

function isCompareAndSetConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function holderOf(text: string): string {
  try {
    const holder = (JSON.parse(text) as { holder?: unknown }).holder;
    return typeof holder === 'string' ? holder : 'unknown';
  } catch {
    return 'unknown';
  }
}
