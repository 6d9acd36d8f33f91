import { z } from 'zod';
import { withExample } from '@taxi-mlops/runtime';

/** An integer variable ≥ min with a default, e.g. a concurrency or a time in ms. */
export function intEnv(fallback: number, min = 1) {
  return withExample(z.coerce.number().int().min(min).default(fallback), String(fallback));
}

/**
 * Variables every stage service reads. ARTIFACT_ROOT has no default on purpose: every service must
 * resolve the same root-relative URIs against the same volume, so a forgotten variable fails at
 * start with one line instead of writing artifacts where no other service looks
 * (`npm run stack` sets it to ./data).
 */
export const stageEnv = {
  ARTIFACT_ROOT: withExample(z.string().min(1), './data'),
  /** A lease holder that has not renewed for this long is presumed dead (ms). */
  LEASE_TTL_MS: intEnv(30_000, 100),
};
