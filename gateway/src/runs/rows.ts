import type { RunState } from '../projection/run-state';

/** A `runs` row as pg returns it (jsonb parsed, timestamptz as Date). */
export interface RunRow {
  run_id: string;
  status: RunState['status'];
  request: RunState['request'];
  stages: RunState['stages'];
  results: RunState['results'];
  answers: RunState['answers'];
  error: RunState['error'];
  requested_at: Date | null;
  finished_at: Date | null;
  prefect_flow_run_id: string | null;
  mlflow_run_id: string | null;
  trace_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  event_count: number;
  created_at: Date;
  updated_at: Date;
  /** created_at as PostgreSQL text, microseconds included: the paging cursor needs them. */
  created_at_text: string;
}

export const RUN_COLUMNS = '*, created_at::text AS created_at_text';

export function stateOfRow(row: RunRow): RunState {
  return {
    runId: row.run_id,
    status: row.status,
    request: row.request,
    stages: row.stages,
    results: row.results,
    answers: row.answers,
    error: row.error,
    requestedAt: row.requested_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    prefectFlowRunId: row.prefect_flow_run_id,
    mlflowRunId: row.mlflow_run_id,
    traceId: row.trace_id,
  };
}

/** The projection's columns, in the order `$2..$12` of the UPDATE in projection/store.ts. */
export function rowValuesOfState(state: RunState): unknown[] {
  return [
    state.status,
    state.request === null ? null : JSON.stringify(state.request),
    JSON.stringify(state.stages),
    JSON.stringify(state.results),
    state.answers === null ? null : JSON.stringify(state.answers),
    state.error === null ? null : JSON.stringify(state.error),
    state.requestedAt,
    state.finishedAt,
    state.prefectFlowRunId,
    state.mlflowRunId,
    state.traceId,
  ];
}
