import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import type { RunLogForwarder } from './run-logs';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level?: LevelWithSilent;
  instanceId?: string;
  /** Where JSON lines go; stdout by default (tests pass a stream to read them back). */
  destination?: DestinationStream;
  /** Also sends lines with a `runId` to the run's log subject (runService wires this). */
  runLogs?: RunLogForwarder;
}

/**
 * JSON logger: every line carries `service`, and `traceId`/`spanId` of the active span so a log
 * line can be found from Jaeger and back. Add the run with `logger.child({ runId })`.
 */
export function createLogger({ service, level = 'info', instanceId, destination, runLogs }: LoggerOptions): Logger {
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  const stream: DestinationStream = runLogs
    ? {
        write(line: string) {
          out.write(line);
          runLogs.forward(line);
        },
      }
    : out;
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
    stream,
  );
}
