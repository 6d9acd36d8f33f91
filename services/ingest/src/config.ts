import { z } from 'zod';
import { commonEnv, withExample } from '@taxi-mlops/runtime';
import { intEnv, stageEnv } from '@taxi-mlops/coordination';

/** The ingest service's environment (commonEnv included, so a compose check sees every variable). */
export const IngestConfig = z.object({
  ...commonEnv,
  ...stageEnv,
  /** Download from this mirror instead of the TLC CDN (a local server in tests, a proxy in CI). */
  TLC_BASE_URL: withExample(z.url({ protocol: /^(https?|file)$/, error: 'must be an http(s):// or file:// URL' }).optional(), 'https://d37ci6vzurychx.cloudfront.net/trip-data'),
  /** Runs ingested at once by one process: downloads wait on the network, not the CPU. */
  INGEST_CONCURRENCY: intEnv(2),
  /** Redelivery to another instance after this long without a heartbeat (the process died), ms. */
  INGEST_ACK_WAIT_MS: intEnv(30_000, 100),
  /** Deliveries of one request before it is dead-lettered and the run fails (transient errors retry). */
  INGEST_MAX_DELIVER: intEnv(5),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
