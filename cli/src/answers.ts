import { relative } from 'node:path';
import { formatYearMonth } from '@taxi-mlops/contracts';
import type { PipelineReport } from './pipeline';

/** The marker users grep for, as the original printed its answers. */
export const ANSWERS_MARKER = '==================== HOMEWORK ANSWERS ====================';

const integer = new Intl.NumberFormat('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') ? path : fromHere;
}

export function formatAnswers(report: PipelineReport): string {
  const { answers, stageMs } = report;
  const rows: Array<[string, string]> = [
    ['Q3 rows loaded', integer.format(answers.rows_loaded)],
    ['Q4 rows after preparation', integer.format(answers.rows_prepared)],
    ['features (DictVectorizer)', integer.format(answers.n_features)],
    ['Q5 intercept', answers.intercept.toFixed(6)],
    ['training RMSE (minutes)', answers.rmse_train.toFixed(6)],
    ['validation RMSE (minutes)', answers.rmse_val === null ? '-' : answers.rmse_val.toFixed(6)],
    ['Q6 model size (bytes)', integer.format(answers.model_size_bytes)],
    ['model directory', displayPath(answers.model_dir)],
    ['time: ingest', seconds(stageMs.ingest)],
    ['time: features', seconds(stageMs.features)],
    ['time: train', seconds(stageMs.train)],
    ['time: total', seconds(stageMs.total)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [ANSWERS_MARKER, ...rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`)];
  if (report.months.length > 1) lines.push('', ...formatMonthTable(report));
  if (report.validation) {
    const v = report.validation;
    lines.push(`validation month ${formatYearMonth(v.month)}: ${integer.format(v.features.rowsKept)} of ${integer.format(v.features.rowsRead)} rows kept`);
  }
  lines.push('='.repeat(ANSWERS_MARKER.length));
  return lines.join('\n');
}

function formatMonthTable(report: PipelineReport): string[] {
  const header = ['month', 'rows loaded', 'rows kept', 'kept %', 'features', 'statistics'];
  const body = report.months.map((m) => [
    formatYearMonth(m.month),
    integer.format(m.features.rowsRead),
    integer.format(m.features.rowsKept),
    (m.features.fractionKept * 100).toFixed(2),
    integer.format(m.features.nFeatures),
    m.statisticsReused ? 'reused' : 'computed',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => row[column]!.length)));
  const format = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [format(header), ...body.map(format)];
}
