import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: LevelWithSilent;
  instanceId?: string;
  /** Where JSON lines go; stdout by default (tests pass a stream to read them back). */
  destination?: DestinationStream;
}

/**
 * JSON logger: every line carries `service`, and `traceId`/`spanId` of the active span so a log
 * line can be found from Jaeger and back. Add the run with `logger.child({ runId })`.
 */
export function createLogger({ service, level = 'info', instanceId, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service, ...(instanceId ? { instance: instanceId } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { traceId, spanId };
      },
    },
    destination,
  );
}
