import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { metricsPortOf, prometheusReader } from './metrics';

type Instrumentations = NonNullable<ConstructorParameters<typeof NodeSDK>[0]>['instrumentations'];

export interface TelemetryOptions {
  serviceName: string;
  /** Extra processors, e.g. `new SimpleSpanProcessor(new InMemorySpanExporter())` in tests. */
  spanProcessors?: SpanProcessor[];
  /** Instrumentations the service needs (pg, http, undici …); none by default. */
  instrumentations?: Instrumentations;
  env?: Record<string, string | undefined>;
}

export interface Telemetry {
  /** Whether spans leave the process over OTLP. */
  readonly exporting: boolean;
  /** Flushes pending spans; call once on shutdown. */
  shutdown(): Promise<void>;
}

/** OTLP only when something says where to send it; otherwise nothing is exported and nothing errors. */
export function otlpTracesConfigured(env: Record<string, string | undefined> = process.env): boolean {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim());
  if (exporters.includes('none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || exporters.includes('otlp'));
}

/**
 * Starts the OpenTelemetry SDK for this process: `service.name` = serviceName, W3C propagation,
 * traces only (metrics and logs exporters are off: Jaeger ingests only traces).
 */
export function startTelemetry({ serviceName, spanProcessors = [], instrumentations = [], env = process.env }: TelemetryOptions): Telemetry {
  const exporting = otlpTracesConfigured(env);
  const metricsPort = metricsPortOf(env);
  const processors = [...spanProcessors];
  // The exporter reads OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT itself (default http://localhost:4318).
  if (exporting) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  // NodeSDK registers no tracer provider without a processor; keep a real one anyway, so trace
  // ids still reach the logs and the next service when nothing is exported.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());

  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    spanProcessors: processors,
    // Pulled by Prometheus from METRICS_PORT (the pipeline's counters and stage durations); Jaeger takes no metrics.
    metricReaders: metricsPort === undefined ? [] : [prometheusReader(metricsPort)],
    logRecordProcessors: [],
    instrumentations,
  });
  sdk.start();
  return { exporting, shutdown: () => sdk.shutdown() };
}
