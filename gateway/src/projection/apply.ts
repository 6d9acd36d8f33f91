import type { Envelope, EventType, Stage } from '@taxi-mlops/contracts';
import { emptyRunState, terminalStatuses, type RunState, type RunStatus, type StageState, type StageStatus } from './run-state';

/** An envelope narrowed by its `type`, so `data` has that type's shape. */
export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType];

export interface EventMeta {
  /** Trace id from the message's `traceparent` header, when it had one. */
  traceId?: string;
}

const statusRank: Record<RunStatus, number> = { requested: 0, running: 1, completed: 2, failed: 2, cancelled: 2 };

/**
 * The projection: the state of a run after one more event. Pure, and tolerant of the orders a
 * redelivery can produce: a status never moves back (the first terminal event wins), a stage's
 * start is the earliest seen and a late `stage.started` does not reopen a finished stage.
 * Applying the same event twice is prevented by the store (event ids are unique), not here.
 */
export function applyEvent(previous: RunState | undefined, event: AnyEnvelope, meta: EventMeta = {}): RunState {
  const state = structuredClone(previous ?? emptyRunState(event.subject));
  if (!state.traceId && meta.traceId) state.traceId = meta.traceId;
  // One spelling of each instant (producers may write offsets or omit milliseconds).
  const time = new Date(event.time).toISOString();

  switch (event.type) {
    case 'run.requested':
      state.request = event.data;
      state.requestedAt = time;
      state.prefectFlowRunId ??= event.data.origin.prefectFlowRunId ?? null;
      break;
    case 'stage.started':
      startStage(state, event.data.stage, event.data.attempt, time);
      advance(state, 'running');
      break;
    case 'data.downloaded': {
      const { files, validation, durationMs } = event.data;
      const rowsLoaded = files.reduce((sum, file) => sum + file.rows, 0);
      state.results.ingest = { files, ...(validation ? { validation } : {}), rowsLoaded, durationMs };
      endStage(state, 'ingest', 'completed', time, durationMs);
      advance(state, 'running');
      break;
    }
    case 'features.ready': {
      const { rowsRead, rowsKept, nFeatures, durationMs, months } = event.data;
      state.results.features = { rowsRead, rowsKept, nFeatures, durationMs, months: months.length };
      endStage(state, 'features', 'completed', time, durationMs);
      advance(state, 'running');
      break;
    }
    case 'model.trained':
      state.results.train = event.data;
      endStage(state, 'train', 'completed', time, event.data.durationMs);
      advance(state, 'running');
      break;
    case 'model.tracked':
      state.results.track = event.data;
      state.mlflowRunId ??= event.data.mlflowRunId;
      endStage(state, 'track', 'completed', time, event.data.durationMs);
      advance(state, 'running');
      break;
    case 'run.completed':
      if (finish(state, 'completed', time)) {
        state.answers = event.data.answers ?? null;
        closeRunningStages(state, 'completed', time);
      }
      break;
    case 'run.failed':
      if (finish(state, 'failed', time)) {
        const { stage, code, message, attempts } = event.data;
        state.error = { stage, code, message, ...(attempts === undefined ? {} : { attempts }) };
        endStage(state, stage, 'failed', time);
        closeRunningStages(state, 'cancelled', time);
      }
      break;
    case 'run.cancelled':
      if (finish(state, 'cancelled', time)) closeRunningStages(state, 'cancelled', time);
      break;
    case 'run.mirrored':
      // The flow run the tracker-bridge made for a run started here: the Prefect link.
      state.prefectFlowRunId ??= event.data.prefectFlowRunId;
      break;
  }
  return state;
}

function advance(state: RunState, status: RunStatus): void {
  if (statusRank[status] > statusRank[state.status]) state.status = status;
}

/** Moves the run to a terminal status; false when it already had one (the first one wins). */
function finish(state: RunState, status: RunStatus, time: string): boolean {
  if (terminalStatuses.has(state.status)) return false;
  state.status = status;
  state.finishedAt = time;
  return true;
}

function startStage(state: RunState, stage: Stage, attempt: number, time: string): void {
  const current = state.stages[stage];
  if (!current) {
    state.stages[stage] = { status: 'running', attempt, startedAt: time, endedAt: null, durationMs: null };
    return;
  }
  current.attempt = Math.max(current.attempt, attempt);
  current.startedAt = earliest(current.startedAt, time);
  // A finished stage stays finished (its start arrived late): only its duration gains a start.
  current.durationMs = measured(current) ?? current.durationMs;
}

function endStage(state: RunState, stage: Stage, status: StageStatus, time: string, reportedMs?: number): void {
  const current: StageState = state.stages[stage] ?? { status, attempt: 1, startedAt: null, endedAt: null, durationMs: null };
  if (current.status !== 'running' && current.endedAt !== null) return; // already finished
  current.status = status;
  current.endedAt = time;
  current.durationMs = measured(current) ?? reportedMs ?? null;
  state.stages[stage] = current;
}

function closeRunningStages(state: RunState, status: StageStatus, time: string): void {
  for (const stage of Object.keys(state.stages) as Stage[]) {
    if (state.stages[stage]?.status === 'running') endStage(state, stage, status, time);
  }
}

function measured(stage: StageState): number | null {
  if (stage.startedAt === null || stage.endedAt === null) return null;
  return Math.max(0, Date.parse(stage.endedAt) - Date.parse(stage.startedAt));
}

function earliest(a: string | null, b: string): string {
  return a === null || Date.parse(b) < Date.parse(a) ? b : a;
}
