// The gateway process. runService reads the config (one line and exit 78 when a variable is bad),
// starts telemetry with the instrumentations below, connects NATS and ensures the streams, and
// stops everything on SIGTERM.
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { runService } from '@taxi-mlops/runtime';
import { GatewayConfig } from './config';

// Probes and Prometheus scrapes would otherwise fill Jaeger with one-span traces.
const probes = new Set(['/healthz', '/readyz', '/metrics']);

await runService({
  name: 'gateway',
  config: GatewayConfig,
  instrumentations: [
    new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => probes.has(request.url ?? '') }),
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    // Only queries inside a request or a projected event: not migrations or the LISTEN connection.
    new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
  ],
  async start({ config, bus, logger, onShutdown }) {
    // Imported only now, after the SDK started, so the instrumentations patch fastify and pg.
    const { startGateway } = await import('./gateway');
    const gateway = await startGateway(config, { logger, bus });
    onShutdown(() => gateway.stop());
    logger.info({ url: gateway.url, auth: Boolean(config.GATEWAY_API_TOKEN) }, 'gateway listening');
  },
});
