import { writeSync } from 'node:fs';
import { z } from 'zod';
import { CONFIG_EXIT_CODE, ConfigError, commonEnv, loadConfig, type CommonConfig } from './config';
import { createLogger, type Logger } from './logger';
import { startTelemetry, type Telemetry, type TelemetryOptions } from './telemetry';
import { connectBus, type Bus } from './bus';
import { RunLogForwarder } from './run-logs';

export interface ServiceContext<C> {
  name: string;
  /** The common variables (NATS_URL, LOG_LEVEL …) and the service's own. */
  config: C & CommonConfig;
  bus: Bus;
  logger: Logger;
  telemetry: Telemetry;
  /** Runs on shutdown after the consumers have stopped, before the connection drains (last registered first). */
  onShutdown: (hook: () => Promise<void> | void) => void;
}

export interface ServiceDefinition<S extends z.ZodObject> {
  name: string;
  /** The service's own variables; `commonEnv` is added. Use `withExample` for a helpful error. */
  config?: S;
  instrumentations?: TelemetryOptions['instrumentations'];
  /** How long running handlers may take to finish on SIGTERM before their signal aborts (default 25 s). */
  shutdownGraceMs?: number;
  /** Wires consumers (`ctx.bus.consume`), servers, pools. */
  start(ctx: ServiceContext<z.infer<S>>): Promise<void> | void;
}

/**
 * The whole life of a service process: config (one line on stderr and exit 78 when a variable is
 * missing or bad), telemetry, bus, streams, `start`, then on SIGTERM/SIGINT a graceful stop:
 * no more pulls, running handlers finish, hooks run, the connection drains, spans flush, exit 0.
 */
export async function runService<S extends z.ZodObject>(definition: ServiceDefinition<S>): Promise<void> {
  let config: z.infer<S> & CommonConfig;
  try {
    const schema = z.object({ ...commonEnv, ...(definition.config?.shape ?? {}) });
    config = loadConfig(schema) as z.infer<S> & CommonConfig;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeSync(2, `${error.message}\n`); // synchronous: the line must be out before exit
    process.exit(CONFIG_EXIT_CODE);
  }

  const { name } = definition;
  const telemetry = startTelemetry({ serviceName: name, instrumentations: definition.instrumentations });
  const runLogs = new RunLogForwarder();
  const logger = createLogger({ service: name, level: config.LOG_LEVEL, instanceId: config.SERVICE_INSTANCE_ID, runLogs });
  const hooks: Array<() => Promise<void> | void> = [];
  let bus: Bus | undefined;
  let stopping = false;

  const shutdown = async (reason: string, exitCode: number): Promise<never> => {
    if (stopping) return new Promise<never>(() => {}); // the first signal's shutdown is already running
    stopping = true;
    logger.info({ reason }, 'shutting down');
    try {
      await bus?.stopConsumers(definition.shutdownGraceMs);
      for (const hook of hooks.reverse()) await hook();
      runLogs.detach();
      await bus?.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      exitCode = exitCode || 1;
    }
    await telemetry.shutdown().catch(() => {});
    logger.info({ exitCode }, 'stopped');
    process.exit(exitCode);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));

  try {
    bus = await connectBus({
      servers: config.NATS_URL,
      name,
      namespace: config.NATS_NAMESPACE,
      logger,
      waitOnFirstConnect: true,
    });
    logger.info({ natsServer: bus.serverVersion, namespace: config.NATS_NAMESPACE ?? null }, 'connected to NATS');
    void bus.nc.closed().then((error) => {
      if (stopping) return;
      logger.fatal({ err: error }, 'NATS connection closed unexpectedly');
      void shutdown('nats closed', 1);
    });
    await bus.ensureStreams();
    const connected = bus;
    // Core publish: fire and forget, captured by the log stream; a log line never waits for NATS.
    runLogs.attach((runId, line) => connected.nc.publish(connected.names.runLog(runId, name), line));
    await definition.start({ name, config, bus, logger, telemetry, onShutdown: (hook) => void hooks.push(hook) });
    logger.info('started');
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await shutdown('start failed', 1);
  }
}
