import { metrics, type Attributes, type Counter, type Histogram } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Outcome } from './consume';

/**
 * The pipeline's own metrics, recorded by the runtime's consumer for every delivery, so each
 * service reports them without code of its own. Prometheus names (after the exporter's renaming):
 *
 * - `pipeline_events_handled_total{event_type, stage, outcome}` — deliveries settled, by outcome
 *   (acked, failed, retry, dead_lettered, interrupted);
 * - `pipeline_handler_failures_total{event_type, stage, outcome, error_code}` — deliveries whose
 *   handler threw (a business failure, a retry, a dead letter or a shutdown);
 * - `pipeline_events_redelivered_total{event_type, stage}` — deliveries after the first (retries);
 * - `pipeline_handler_duration_{bucket,sum,count}{event_type, stage, outcome}` — histogram, in seconds, of the time from
 *   the delivery to its settlement: the stage's duration for the stage consumers.
 *
 * Every series also carries `service_name` (the resource's `service.name`).
 */
export const METRIC_NAMES = {
  handled: 'pipeline.events.handled',
  failures: 'pipeline.handler.failures',
  redelivered: 'pipeline.events.redelivered',
  duration: 'pipeline.handler.duration',
} as const;

const METER_NAME = '@taxi-mlops/runtime';

/** Buckets in seconds: a cached stage takes milliseconds, a three-month training a minute. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export interface DeliveryRecord {
  eventType: string;
  stage: string;
  outcome: Outcome;
  /** Delivery count: 1 on the first delivery. */
  attempt: number;
  durationMs: number;
  /** The handler's error code (a PipelineError's code, or "internal"), when it threw. */
  errorCode?: string;
}

interface Instruments {
  handled: Counter;
  failures: Counter;
  redelivered: Counter;
  duration: Histogram;
}

let instruments: Instruments | undefined;

/**
 * Instruments are created on first use from the global meter provider, which the SDK registers in
 * `startTelemetry`; without one (unit tests, the CLI) they are no-ops and cost nothing.
 */
function pipelineInstruments(): Instruments {
  if (instruments) return instruments;
  const meter = metrics.getMeter(METER_NAME);
  instruments = {
    handled: meter.createCounter(METRIC_NAMES.handled, { description: 'Pipeline event deliveries settled, by outcome' }),
    failures: meter.createCounter(METRIC_NAMES.failures, { description: 'Deliveries whose handler threw' }),
    redelivered: meter.createCounter(METRIC_NAMES.redelivered, { description: 'Deliveries after the first one (retries)' }),
    duration: meter.createHistogram(METRIC_NAMES.duration, {
      description: 'Time from delivery to settlement of a pipeline event',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
  };
  return instruments;
}

/** Records one settled delivery (called by the runtime's consumer). */
export function recordDelivery({ eventType, stage, outcome, attempt, durationMs, errorCode }: DeliveryRecord): void {
  const m = pipelineInstruments();
  const base: Attributes = { event_type: eventType, stage };
  m.handled.add(1, { ...base, outcome });
  m.duration.record(durationMs / 1000, { ...base, outcome });
  if (attempt > 1) m.redelivered.add(1, base);
  if (outcome !== 'acked') m.failures.add(1, { ...base, outcome, error_code: errorCode ?? 'none' });
}

/** Forgets the cached instruments (tests that install a new meter provider). */
export function resetMetricInstruments(): void {
  instruments = undefined;
}

/** `METRICS_PORT` as a port number, or undefined when unset or empty (metrics off). */
export function metricsPortOf(env: Record<string, string | undefined> = process.env): number | undefined {
  const raw = env.METRICS_PORT?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`METRICS_PORT must be a port number 1-65535, got "${raw}"`);
  return port;
}

/**
 * A Prometheus pull endpoint at `http://<host>:<port>/metrics` for the SDK's meter provider. The
 * resource's `service.name` is copied onto every series as `service_name`, so one dashboard query
 * can split by service without relabelling in Prometheus.
 */
export function prometheusReader(port: number, host?: string): PrometheusExporter {
  return new PrometheusExporter({ port, ...(host ? { host } : {}), endpoint: '/metrics', withResourceConstantLabels: /^service\.name$/ }, (error) => {
    // Metrics are secondary: a taken port is reported, the service keeps running.
    if (error) process.stderr.write(`metrics: cannot listen on port ${port}: ${error.message}\n`);
  });
}
