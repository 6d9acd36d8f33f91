import { taskOfStage, type TaskName } from './decide';
import { Stage } from '@taxi-mlops/contracts';

/** A service's pino line, as a Prefect log of the run's flow run (and of a task run when known). */
export interface ServiceLogLine {
  name: string;
  level: number;
  message: string;
  timestamp: string;
  task?: TaskName;
}

const levelOfLabel: Record<string, number> = { trace: 10, debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };
/** pino's numeric levels (10 trace … 60 fatal) to Python's (10 DEBUG … 50 CRITICAL). */
const levelOfNumber = (level: number): number => (level <= 20 ? 10 : level === 30 ? 20 : level === 40 ? 30 : level === 50 ? 40 : 50);
const taskOfService: Record<string, TaskName> = { ingest: 'download', features: 'features', trainer: 'train' };
/** Fields every line carries; the rest are shown after the message. */
const BASE_FIELDS = new Set(['level', 'time', 'msg', 'service', 'instance', 'runId', 'traceId', 'spanId', 'pid', 'hostname', 'stage', 'eventType', 'attempt', 'err']);

/** Parses one JSON log line published on `logs.<runId>.<service>`; undefined when it is not JSON. */
export function serviceLogLine(body: string, service: string): ServiceLogLine | undefined {
  let line: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    line = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = typeof line.level === 'number' ? levelOfNumber(line.level) : (levelOfLabel[String(line.level)] ?? 20);
  const time = typeof line.time === 'number' ? new Date(line.time) : new Date(typeof line.time === 'string' ? line.time : Date.now());
  const stage = Stage.safeParse(line.stage);
  const task = stage.success ? taskOfStage[stage.data] : taskOfService[service];
  const extra = Object.entries(line)
    .filter(([key]) => !BASE_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const err = line.err as { message?: unknown } | undefined;
  const message = [
    typeof line.msg === 'string' ? line.msg : '',
    typeof err?.message === 'string' ? `error: ${err.message}` : '',
    extra.length > 0 ? `(${extra.join(', ')})` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    name: `pipeline.${service}`,
    level,
    message: message || body,
    timestamp: Number.isNaN(time.getTime()) ? new Date().toISOString() : time.toISOString(),
    task,
  };
}
