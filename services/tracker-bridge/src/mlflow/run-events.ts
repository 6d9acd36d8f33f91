import { parseEvent, PipelineError, subjectFor, type Envelope, type EventType } from '@taxi-mlops/contracts';
import type { Bus } from '@taxi-mlops/runtime';
import type { TrainingRunEvents } from './run-record';

/**
 * The run's earlier events, read back from the PIPELINE stream by subject: each type is published
 * once per run (deterministic message id), so the last message on `pipeline.<type>.<runId>` is it.
 * Nothing is kept in memory, so a restarted tracker loses nothing.
 */
export async function readLatestEvent<T extends EventType>(bus: Bus, type: T, runId: string): Promise<Envelope<T> | undefined> {
  const message = await bus.jsm.streams.getMessage(bus.names.stream, { last_by_subj: bus.names.subject(subjectFor(type, runId)) });
  if (!message) return undefined;
  const parsed = parseEvent(type, message.json());
  if (!parsed.ok) throw new PipelineError('invalid_request', `stored ${type} event of run ${runId} is invalid: ${parsed.reason}`);
  return parsed.event;
}

export async function readTrainingRunEvents(bus: Bus, trained: Envelope<'model.trained'>, traceId?: string): Promise<TrainingRunEvents> {
  const runId = trained.subject;
  const [requested, downloaded, features, mirrored] = await Promise.all([
    readLatestEvent(bus, 'run.requested', runId),
    readLatestEvent(bus, 'data.downloaded', runId),
    readLatestEvent(bus, 'features.ready', runId),
    readLatestEvent(bus, 'run.mirrored', runId),
  ]);
  const missing = Object.entries({ 'run.requested': requested, 'data.downloaded': downloaded, 'features.ready': features })
    .filter(([, event]) => event === undefined)
    .map(([type]) => type);
  if (!requested || !downloaded || !features) {
    // They precede model.trained causally; absent means the stream lost them (max age) or a producer bug.
    throw new PipelineError('invalid_request', `run ${runId}: no ${missing.join(', ')} event in the stream; cannot record it in MLflow`);
  }
  return { requested, downloaded, features, trained, ...(mirrored ? { mirrored } : {}), ...(traceId ? { traceId } : {}) };
}
