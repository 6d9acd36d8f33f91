import type { FastifyBaseLogger } from 'fastify';
import type { Pool } from 'pg';
import type { Bus } from '@taxi-mlops/runtime';
import type { RunEventFeed } from '../sse/run-event-feed';
import type { UiLinks } from '../runs/view';
import type { ChampionPredictor } from '../predict/champion-predictor';

/** Everything the HTTP app needs, passed in: tests build it from real PostgreSQL and NATS. */
export interface GatewayDeps {
  pool: Pool;
  bus: Pick<Bus, 'publish'>;
  feed: RunEventFeed;
  /** Reachability checks for /readyz; each throws when its dependency is away. */
  readiness: Record<string, () => Promise<void>>;
  /** When set, write routes need `Authorization: Bearer <token>`. */
  apiToken?: string;
  ui?: UiLinks;
  rateLimit?: { max: number; timeWindowMs: number };
  bodyLimitBytes?: number;
  /** Request logging; none when absent (tests). */
  logger?: FastifyBaseLogger;
  /** CloudEvents `source` of the events the gateway publishes. */
  eventSource?: string;
  /** SSE comment line interval, keeping proxies from closing idle streams. */
  sseHeartbeatMs?: number;
  /** The registry champion for POST /predict; predictions answer 503 without one. */
  champion?: Pick<ChampionPredictor, 'current'>;
  now?: () => Date;
  newRunId?: () => string;
}
