import { formatYearMonth, stages as pipelineStages } from '@taxi-mlops/contracts';
import type { RunRow } from './rows';

/** Base URLs of the UIs a run can be opened in; absent ones give no link. */
export interface UiLinks {
  prefectUiUrl?: string;
  mlflowUiUrl?: string;
  jaegerUiUrl?: string;
}

const trim = (url: string) => url.replace(/\/+$/, '');

export function runLinks(row: RunRow, ui: UiLinks): Record<string, string> {
  const self = `/runs/${row.run_id}`;
  const links: Record<string, string> = { self, events: `${self}/events`, cancel: `${self}/cancel` };
  if (ui.prefectUiUrl && row.prefect_flow_run_id) links.prefect = `${trim(ui.prefectUiUrl)}/runs/flow-run/${row.prefect_flow_run_id}`;
  const tracked = row.results.track;
  if (ui.mlflowUiUrl && row.mlflow_run_id) {
    links.mlflow = tracked
      ? `${trim(ui.mlflowUiUrl)}/#/experiments/${tracked.experimentId}/runs/${row.mlflow_run_id}`
      : `${trim(ui.mlflowUiUrl)}/#/runs/${row.mlflow_run_id}`;
  } else if (tracked?.runUrl) {
    links.mlflow = tracked.runUrl; // what the tracker-bridge saw; may be an in-cluster address
  }
  if (ui.jaegerUiUrl && row.trace_id) links.trace = `${trim(ui.jaegerUiUrl)}/trace/${row.trace_id}`;
  return links;
}

function requestFields(row: RunRow) {
  const request = row.request;
  return {
    taxi: request?.taxi ?? null,
    months: request?.months.map(formatYearMonth) ?? [],
    validation: request?.validation ? formatYearMonth(request.validation) : null,
    source: request?.source ?? null,
    stopAfter: request?.stopAfter ?? null,
    origin: request?.origin.kind ?? null,
  };
}

/** One line of `GET /runs`. */
export function runSummary(row: RunRow, ui: UiLinks) {
  return {
    runId: row.run_id,
    status: row.status,
    ...requestFields(row),
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    links: runLinks(row, ui),
  };
}

/** `GET /runs/:id`: the request, each stage's timing, the results, answers, error and links. */
export function runDetail(row: RunRow, ui: UiLinks) {
  const started = row.requested_at ?? row.created_at;
  return {
    ...runSummary(row, ui),
    requestedAt: row.requested_at?.toISOString() ?? null,
    durationMs: row.finished_at ? Math.max(0, row.finished_at.getTime() - started.getTime()) : null,
    stages: pipelineStages.flatMap((name) => {
      const stage = row.stages[name];
      return stage ? [{ name, ...stage }] : [];
    }),
    results: row.results,
    answers: row.answers,
    error: row.error,
    prefectFlowRunId: row.prefect_flow_run_id,
    mlflowRunId: row.mlflow_run_id,
    traceId: row.trace_id,
    eventCount: row.event_count,
    updatedAt: row.updated_at.toISOString(),
  };
}
