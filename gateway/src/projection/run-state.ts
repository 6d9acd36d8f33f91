import type { Answers, EventData, Stage } from '@taxi-mlops/contracts';

export const runStatuses = ['requested', 'running', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const terminalStatuses: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

export type StageStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface StageState {
  status: StageStatus;
  /** Highest attempt seen; retries keep the first start so the duration covers them. */
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  /** endedAt - startedAt when both are known, else what the stage reported. */
  durationMs: number | null;
}

export type RunRequest = EventData<'run.requested'>;

export interface RunResults {
  ingest?: {
    files: EventData<'data.downloaded'>['files'];
    validation?: EventData<'data.downloaded'>['validation'];
    rowsLoaded: number;
    durationMs: number;
  };
  features?: Omit<EventData<'features.ready'>, 'taxi' | 'months' | 'validation'> & { months: number };
  train?: EventData<'model.trained'>;
  track?: EventData<'model.tracked'>;
}

export interface RunError {
  stage: Stage;
  code: string;
  message: string;
  attempts?: number;
}

/** What the gateway knows about one run: a pure function of the events applied so far. */
export interface RunState {
  runId: string;
  status: RunStatus;
  request: RunRequest | null;
  stages: Partial<Record<Stage, StageState>>;
  results: RunResults;
  answers: Answers | null;
  error: RunError | null;
  requestedAt: string | null;
  finishedAt: string | null;
  prefectFlowRunId: string | null;
  mlflowRunId: string | null;
  traceId: string | null;
}

export function emptyRunState(runId: string): RunState {
  return {
    runId,
    status: 'requested',
    request: null,
    stages: {},
    results: {},
    answers: null,
    error: null,
    requestedAt: null,
    finishedAt: null,
    prefectFlowRunId: null,
    mlflowRunId: null,
    traceId: null,
  };
}
