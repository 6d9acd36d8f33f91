import type { RunState } from './decide';
import { formatYearMonth } from '@taxi-mlops/contracts';

export interface ReportContext {
  /** e.g. "Prefect 3.8.8", read from the server at start. */
  orchestrator: string;
  /** MLflow server, for a run link when `model.tracked` carries none. */
  mlflowUrl?: string;
  /** Trace UI base; the link is `<url>/trace/<trace id>`. */
  traceUiUrl?: string;
}

export interface Report {
  markdown: string;
  /** The same answers as plain text lines between distinctive markers, logged once. */
  block: string;
}

export const ANSWERS_MARKER = '==================== HOMEWORK ANSWERS ====================';
export const ANSWERS_END_MARKER = '==========================================================';

/** The homework's questions answered from the run's events (run.completed's answers win when present). */
export function answersReport(state: RunState, ctx: ReportContext): Report {
  const answers = state.completed?.answers;
  const rowsLoaded = answers?.rows_loaded ?? state.features?.rowsRead ?? sumRows(state);
  const rowsPrepared = answers?.rows_prepared ?? state.features?.rowsKept;
  const nFeatures = answers?.n_features ?? state.trained?.nFeatures ?? state.features?.nFeatures;
  const intercept = answers?.intercept ?? state.trained?.intercept;
  const rmse = answers?.rmse_train ?? state.trained?.rmseTrain;
  const size = answers?.model_size_bytes ?? state.trained?.modelSizeBytes;
  const mlflow = mlflowLink(state, ctx);
  const trace = traceLink(state, ctx);
  const month = state.requested?.months.map(formatYearMonth).join(', ') ?? '?';

  const rows: Array<[string, string, string]> = [
    ['Q1', 'Orchestrator and version', ctx.orchestrator],
    ['Q3', 'Rows loaded', int(rowsLoaded)],
    ['Q4', 'Rows after preparation', int(rowsPrepared)],
    ['', 'Feature count', int(nFeatures)],
    ['Q5', 'Intercept of the model', num(intercept)],
    ['', 'Training RMSE', num(rmse)],
    ['Q6', 'Model size (bytes)', int(size)],
    ['', 'MLflow run', mlflow ? `[${state.tracked?.mlflowRunId ?? 'run'}](${mlflow})` : 'not tracked'],
    ['', 'Trace', trace ? (trace.url ? `[${trace.id}](${trace.url})` : trace.id) : 'no trace context'],
  ];
  const markdown = [
    `# Homework answers: ${state.requested?.taxi ?? ''} ${month}`,
    '',
    `Pipeline run \`${state.runId}\`.`,
    '',
    '| # | Question | Answer |',
    '|---|---|---|',
    ...rows.map(([q, question, answer]) => `| ${q} | ${question} | ${answer} |`),
    '',
  ].join('\n');
  const width = Math.max(...rows.map(([, question]) => question.length));
  const block = [
    ANSWERS_MARKER,
    `Run: ${state.runId} (${state.requested?.taxi ?? '?'} ${month})`,
    ...rows.map(([, question, answer]) => `${question.padEnd(width)} : ${stripLink(answer)}`),
    ANSWERS_END_MARKER,
  ].join('\n');
  return { markdown, block };
}

/** What a data-download run reports: the cached file(s). */
export function dataDownloadReport(state: RunState, ctx: ReportContext): Report {
  const files = state.downloaded?.files ?? [];
  const markdown = [
    '# Data download',
    '',
    `Pipeline run \`${state.runId}\`, orchestrated by ${ctx.orchestrator}.`,
    '',
    '| Month | Rows | Bytes | SHA-256 | Source |',
    '|---|---|---|---|---|',
    ...files.map((f) => `| ${formatYearMonth(f)} | ${int(f.rows)} | ${int(f.bytes)} | \`${f.sha256.slice(0, 12)}…\` | ${f.sourceUrl} |`),
    '',
  ].join('\n');
  const block = [
    '==================== DATA DOWNLOAD ====================',
    `Run: ${state.runId}`,
    ...files.map((f) => `${formatYearMonth(f)}: ${int(f.rows)} rows, ${int(f.bytes)} bytes, sha256 ${f.sha256}`),
    ANSWERS_END_MARKER,
  ].join('\n');
  return { markdown, block };
}

function mlflowLink(state: RunState, ctx: ReportContext): string | undefined {
  const tracked = state.tracked;
  if (!tracked) return undefined;
  if (tracked.runUrl) return tracked.runUrl;
  if (!ctx.mlflowUrl) return undefined;
  return `${ctx.mlflowUrl.replace(/\/+$/, '')}/#/experiments/${tracked.experimentId}/runs/${tracked.mlflowRunId}`;
}

function traceLink(state: RunState, ctx: ReportContext): { id: string; url?: string } | undefined {
  if (!state.traceId) return undefined;
  return { id: state.traceId, url: ctx.traceUiUrl ? `${ctx.traceUiUrl.replace(/\/+$/, '')}/trace/${state.traceId}` : undefined };
}

function sumRows(state: RunState): number | undefined {
  return state.downloaded?.files.reduce((sum, file) => sum + file.rows, 0);
}

function int(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toLocaleString('en-US');
}

function num(value: number | undefined): string {
  return value === undefined ? 'n/a' : String(Number(value.toFixed(6)));
}

function stripLink(cell: string): string {
  const match = /^\[(.*)\]\((.*)\)$/.exec(cell);
  return match ? `${match[1]} ${match[2]}` : cell;
}

/** The W3C trace id of a `traceparent` header value ("00-<trace id>-<span id>-<flags>"). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent?.trim() ?? '');
  return match && match[1] !== '0'.repeat(32) ? match[1] : undefined;
}
