import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

/** Exponential backoff with full jitter, so parallel clients do not hammer a recovering server in step. */
export function backoffDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export async function waitBeforeRetry(policy: RetryPolicy, failedAttempts: number, signal?: AbortSignal): Promise<void> {
  await sleep(backoffDelayMs(policy, failedAttempts), undefined, signal ? { signal } : undefined);
}
