import type { FastifyInstance } from 'fastify';
import { connectBus, type Bus, type Logger } from '@taxi-mlops/runtime';
import type { GatewayConfig } from './config';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { buildApp } from './http/app';
import type { GatewayDeps } from './http/deps';
import { storeEvent } from './projection/store';
import { consumeAllEvents, type AllEventsConsumer } from './bus/all-events-consumer';
import { RunEventFeed } from './sse/run-event-feed';
import { ChampionPredictor } from './predict/champion-predictor';

export interface RunningGateway {
  app: FastifyInstance;
  bus: Bus;
  /** The listening address, e.g. http://127.0.0.1:8080. */
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Extra app options (tests, the benchmark). */
  overrides?: Partial<GatewayDeps>;
  /** Quiet the HTTP request log (the benchmark). */
  requestLogging?: boolean;
  /** A connected bus (runService's); its owner closes it. Without one the gateway connects its own. */
  bus?: Bus;
}

/**
 * Wires the gateway: migrations, PostgreSQL, NATS (streams), the projection's durable consumer,
 * the LISTEN feed of the SSE streams, and the HTTP server. `stop` undoes it in reverse.
 */
export async function startGateway(config: GatewayConfig, { logger, overrides = {}, requestLogging = true, bus: givenBus }: StartOptions): Promise<RunningGateway> {
  const applied = await migrate(config.DATABASE_URL, logger);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrated');

  const pool = createPool(config.DATABASE_URL);
  const bus =
    givenBus ??
    (await connectBus({
      servers: config.NATS_URL,
      name: 'gateway',
      logger,
      source: '/gateway',
      waitOnFirstConnect: true,
      ...(config.NATS_NAMESPACE ? { namespace: config.NATS_NAMESPACE } : {}),
    }));
  await bus.ensureStreams();

  const feed = new RunEventFeed(config.DATABASE_URL, (error) => logger.warn({ err: error }, 'run event feed: connection lost; reconnecting'));
  await feed.start();

  const projection: AllEventsConsumer = await consumeAllEvents(
    bus,
    async (event, meta) => {
      await storeEvent(pool, event, meta);
    },
    { durable: config.GATEWAY_PROJECTION_DURABLE, logger: logger.child({ component: 'projection' }) },
  );

  const app = await buildApp({
    pool,
    bus,
    feed,
    readiness: {
      postgres: async () => {
        await pool.query('SELECT 1');
      },
      nats: async () => {
        if (bus.nc.isClosed()) throw new Error('connection closed');
        await bus.jsm.streams.info(bus.names.stream); // a round trip that needs JetStream too
      },
    },
    ...(requestLogging ? { logger } : {}),
    eventSource: '/gateway',
    rateLimit: { max: config.GATEWAY_RATE_LIMIT_MAX, timeWindowMs: config.GATEWAY_RATE_LIMIT_WINDOW_MS },
    bodyLimitBytes: config.GATEWAY_BODY_LIMIT_BYTES,
    ui: {
      ...(config.PREFECT_UI_URL ? { prefectUiUrl: config.PREFECT_UI_URL } : {}),
      ...(config.MLFLOW_UI_URL ? { mlflowUiUrl: config.MLFLOW_UI_URL } : {}),
      ...(config.JAEGER_UI_URL ? { jaegerUiUrl: config.JAEGER_UI_URL } : {}),
    },
    ...(config.GATEWAY_API_TOKEN ? { apiToken: config.GATEWAY_API_TOKEN } : {}),
    ...(config.MLFLOW_TRACKING_URI
      ? {
          champion: new ChampionPredictor({
            trackingUri: config.MLFLOW_TRACKING_URI,
            registeredModel: config.MLFLOW_REGISTERED_MODEL,
            cacheDir: config.PREDICT_MODEL_CACHE_DIR,
            refreshMs: config.PREDICT_REFRESH_MS,
          }),
        }
      : {}),
    ...overrides,
  });
  const url = await app.listen({ port: config.GATEWAY_PORT, host: config.GATEWAY_HOST });

  let stopping: Promise<void> | undefined;
  return {
    app,
    bus,
    url,
    stop: () =>
      (stopping ??= (async () => {
        await app.close(); // stops accepting requests, ends SSE streams
        await projection.stop(); // unacked events stay with the durable consumer for next time
        await feed.close();
        if (!givenBus) await bus.close();
        await pool.end();
      })()),
  };
}
