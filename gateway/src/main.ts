// The gateway process: config → telemetry → migrations, NATS, projection, HTTP.
import { CONFIG_EXIT_CODE, ConfigError, createLogger, loadConfig, startTelemetry } from '@taxi-mlops/runtime';
import { GatewayConfig } from './config';

let config: GatewayConfig;
try {
  config = loadConfig(GatewayConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`gateway: ${error.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}

const telemetry = startTelemetry({ serviceName: 'gateway' });
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL, ...(config.SERVICE_INSTANCE_ID ? { instanceId: config.SERVICE_INSTANCE_ID } : {}) });
// Imported after the SDK started, so instrumentations can patch what the gateway loads.
const { startGateway } = await import('./gateway');

try {
  const gateway = await startGateway(config, { logger });
  logger.info({ url: gateway.url, namespace: config.NATS_NAMESPACE ?? null, auth: Boolean(config.GATEWAY_API_TOKEN) }, 'gateway listening');

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000).unref();
    void gateway
      .stop()
      .then(() => telemetry.shutdown())
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'gateway failed to start');
  await telemetry.shutdown().catch(() => {});
  process.exit(1);
}
