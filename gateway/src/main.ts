// The gateway process. runService reads the config (one line and exit 78 when a variable is bad),
// starts telemetry, connects NATS and ensures the streams, and stops everything on SIGTERM.
import { runService } from '@taxi-mlops/runtime';
import { GatewayConfig } from './config';

await runService({
  name: 'gateway',
  config: GatewayConfig,
  async start({ config, bus, logger, onShutdown }) {
    // Imported only now, after the SDK started, so instrumentations can patch what it loads.
    const { startGateway } = await import('./gateway');
    const gateway = await startGateway(config, { logger, bus });
    onShutdown(() => gateway.stop());
    logger.info({ url: gateway.url, auth: Boolean(config.GATEWAY_API_TOKEN) }, 'gateway listening');
  },
});
