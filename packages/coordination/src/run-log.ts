import { messageIdFor, parseEvent, subjectFor, type Envelope, type EventDataInput, type EventType, type Stage } from '@taxi-mlops/contracts';
import type { Bus } from '@taxi-mlops/runtime';

/**
 * The stream is the run's log: the last message on `pipeline.<type>.<runId>` answers "was this
 * run cancelled?" and "did a stage already emit its result?" without any private state, across
 * restarts and instances (`last_by_subj` works on nats-server 2.9).
 */
export async function lastRunEvent<T extends EventType>(bus: Bus, type: T, runId: string): Promise<Envelope<T> | undefined> {
  const stored = await bus.jsm.streams.getMessage(bus.names.stream, { last_by_subj: bus.names.subject(subjectFor(type, runId)) });
  if (!stored) return undefined;
  let payload: unknown;
  try {
    payload = stored.json();
  } catch {
    return undefined; // not an event: as if absent (the consumers dead-letter such messages)
  }
  const parsed = parseEvent(type, payload);
  return parsed.ok ? parsed.event : undefined;
}

export async function isCancelled(bus: Bus, runId: string): Promise<boolean> {
  return (await lastRunEvent(bus, 'run.cancelled', runId)) !== undefined;
}

export interface EmitOnceResult<T extends EventType> {
  event: Envelope<T>;
  /** False when the run already had this event: the stored one is returned and nothing is sent. */
  emitted: boolean;
}

/**
 * Emits a run's one event of `type` unless the stream already holds it. The lookup covers a
 * redelivery long after the first emission; the deterministic message id (`messageIdFor`) covers
 * two instances emitting at the same moment (inside the stream's duplicate window).
 */
export async function emitOnce<T extends EventType>(bus: Bus, type: T, runId: string, data: EventDataInput<T>): Promise<EmitOnceResult<T>> {
  const existing = await lastRunEvent(bus, type, runId);
  if (existing) return { event: existing, emitted: false };
  const published = await bus.emit(type, runId, data, { msgId: messageIdFor(type, runId) });
  return { event: published.event, emitted: !published.duplicate };
}

/** `stage.started` shares one subject per run for every stage, so its message id names stage and attempt. */
export async function emitStageStarted(bus: Bus, runId: string, stage: Stage, attempt: number): Promise<void> {
  await bus.emit('stage.started', runId, { stage, attempt }, { msgId: messageIdFor('stage.started', runId, `${stage}:${attempt}`) });
}
