import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@taxi-mlops/stages');

/** Span attribute names of the stages' own work (row counts, sizes), kept in one place. */
export const STAGE_ATTRIBUTES = {
  rowsRead: 'pipeline.rows.read',
  rowsKept: 'pipeline.rows.kept',
  rowsTrain: 'pipeline.rows.train',
  files: 'pipeline.files',
  features: 'pipeline.features',
  pairs: 'pipeline.pairs',
  bytes: 'pipeline.bytes',
  reused: 'pipeline.reused',
  durationMs: 'pipeline.duration_ms',
} as const;

/**
 * Runs `work` in an INTERNAL span, a child of the active one (the delivery's CONSUMER span in a
 * handler). A thrown error is recorded with ERROR status and rethrown; the wall time is also set as
 * `pipeline.duration_ms`, so it can be read and searched as an attribute.
 */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T> | T): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    const started = performance.now();
    try {
      return await work(span);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      throw error;
    } finally {
      span.setAttribute(STAGE_ATTRIBUTES.durationMs, Math.round((performance.now() - started) * 1000) / 1000);
      span.end();
    }
  });
}
