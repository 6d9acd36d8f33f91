import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatYearMonth, PipelineError, type Answers, type DownloadedFile, type Envelope } from '@taxi-mlops/contracts';
import type { DatasetInputSpec, MetricPoint } from '@taxi-mlops/mlflow-client';

/**
 * Pure decisions: a pipeline run's events → the one MLflow run that records it. No I/O here,
 * so every field can be tested without servers.
 */

/** The events the tracker needs, rebuilt from the run's own events in the PIPELINE stream. */
export interface TrainingRunEvents {
  requested: Envelope<'run.requested'>;
  downloaded: Envelope<'data.downloaded'>;
  features: Envelope<'features.ready'>;
  trained: Envelope<'model.trained'>;
  /** The Prefect flow run the bridge made for a run started outside Prefect, when there is one. */
  mirrored?: Envelope<'run.mirrored'>;
  /** W3C trace id of the run's trace, when the events carried one. */
  traceId?: string;
}

export interface RecordOptions {
  /** `{taxi}` is replaced by the taxi type. */
  experimentNamePattern: string;
  /** `mlflow.user`. */
  user: string;
  /** Base for relative artifact URIs in events. */
  artifactRoot: string;
}

export type ScoreMetric = 'rmse_val' | 'rmse_train';

export interface TrainingRunRecord {
  pipelineRunId: string;
  experimentName: string;
  runName: string;
  startTime: number;
  endTime: number;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: MetricPoint[];
  datasets: DatasetInputSpec[];
  answers: Answers;
  /** What the champion rule compares: validation RMSE, or training RMSE without a validation month. */
  score: { metric: ScoreMetric; value: number };
  /** Local paths. */
  modelDir: string;
  plot: { statsPaths: string[]; label: string };
}

/** The idempotency key: at most one MLflow run carries a given pipeline run id. */
export const RUN_ID_TAG = 'taxi_mlops.run_id';
/** Set last: the run and its model are completely recorded. */
export const TRACKED_TAG = 'taxi_mlops.tracked';
export const TRACE_ID_TAG = 'taxi_mlops.trace_id';
export const PREFECT_FLOW_RUN_TAG = 'taxi_mlops.prefect_flow_run_id';
export const SCORE_TAG = 'taxi_mlops.score';
export const SCORE_METRIC_TAG = 'taxi_mlops.score_metric';

/** The homework's preparation: trips of 1 to 60 minutes, one-hot PU and DO location ids. */
export const DURATION_MIN_MINUTES = 1;
export const DURATION_MAX_MINUTES = 60;
export const FEATURES = ['PULocationID', 'DOLocationID'];

/** MLflow limits (utils/validation.py): param values ≤ 6000, dataset digests ≤ 36. */
const MAX_PARAM_VALUE = 6000;
const MAX_DIGEST = 36;


function truncate(value: string, limit: number): string {
  return value.length <= limit ? value : `${value.slice(0, limit - 3)}...`;
}

export function experimentNameFor(pattern: string, taxi: string): string {
  return pattern.replaceAll('{taxi}', taxi);
}

/** An event's artifact URI → a local path: absolute path, file:// URL or relative to the artifact root. */
export function localPathOf(uri: string, artifactRoot: string, field: string): string {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new PipelineError('artifact_missing', `${field}: "${uri}" is not a local path or file:// URL; the tracker reads artifacts from the shared volume`);
  }
  return isAbsolute(uri) ? uri : join(artifactRoot, uri);
}

function sourceOf(file: DownloadedFile): { sourceType: string; source: string } {
  const url = file.sourceUrl || file.uri;
  // The shapes Python's HTTPDatasetSource and LocalArtifactDatasetSource write.
  if (/^https?:\/\//.test(url)) return { sourceType: 'http', source: JSON.stringify({ url }) };
  return { sourceType: 'local', source: JSON.stringify({ uri: url }) };
}

function datasetOf(taxi: string, file: DownloadedFile, context: 'training' | 'validation'): DatasetInputSpec {
  const prefix = taxi === 'green' ? 'lpep' : 'tpep';
  const schema = {
    mlflow_colspec: [
      { type: 'datetime', name: `${prefix}_pickup_datetime`, required: true },
      { type: 'datetime', name: `${prefix}_dropoff_datetime`, required: true },
      { type: 'long', name: 'PULocationID', required: true },
      { type: 'long', name: 'DOLocationID', required: true },
    ],
  };
  return {
    name: `${taxi}_tripdata_${formatYearMonth(file)}`,
    digest: file.sha256.slice(0, Math.min(32, MAX_DIGEST)),
    ...sourceOf(file),
    schema: JSON.stringify(schema),
    profile: JSON.stringify({ num_rows: file.rows, num_bytes: file.bytes, sha256: file.sha256 }),
    tags: { 'mlflow.data.context': context },
  };
}

export function buildTrainingRunRecord(events: TrainingRunEvents, options: RecordOptions): TrainingRunRecord {
  const { requested, downloaded, features, trained } = events;
  const runId = trained.subject;
  for (const [name, event] of Object.entries({ requested, downloaded, features })) {
    if (event.subject !== runId) throw new Error(`${name}: event of run ${event.subject}, expected ${runId}`);
  }
  const taxi = requested.data.taxi;
  const months = requested.data.months.map(formatYearMonth);
  const validation = requested.data.validation ? formatYearMonth(requested.data.validation) : undefined;
  const t = trained.data;
  const rowsLoaded = features.data.months.reduce((sum, month) => sum + month.rowsRead, 0);
  const answers: Answers = {
    rows_loaded: rowsLoaded,
    rows_prepared: t.rowsTrain,
    n_features: t.nFeatures,
    intercept: t.intercept,
    rmse_train: t.rmseTrain,
    rmse_val: t.rmseVal,
    model_size_bytes: t.modelSizeBytes,
    model_dir: t.modelUri,
  };

  const origin = requested.data.origin;
  const tags: Record<string, string> = {
    'mlflow.runName': '', // replaced below; create-run sets it from run_name
    'mlflow.source.name': `taxi-mlops${trained.source.startsWith('/') ? '' : '/'}${trained.source}`,
    'mlflow.source.type': 'JOB',
    'mlflow.user': options.user,
    'mlflow.note.content': `NYC ${taxi} taxi trip-duration model trained on ${months.join(', ')}${validation ? `, validated on ${validation}` : ''}; pipeline run \`${runId}\`.`,
    [RUN_ID_TAG]: runId,
    'taxi_mlops.origin': origin.kind,
    'taxi_mlops.model_dir': t.modelUri,
    taxi,
  };
  if (events.traceId) tags[TRACE_ID_TAG] = events.traceId;
  const prefectFlowRunId = origin.prefectFlowRunId ?? events.mirrored?.data.prefectFlowRunId;
  if (prefectFlowRunId) tags[PREFECT_FLOW_RUN_TAG] = prefectFlowRunId;
  if (origin.deployment) tags['taxi_mlops.prefect_deployment'] = origin.deployment;
  const runName = `${taxi}-${months.length === 1 ? months[0] : `${months[0]}_${months[months.length - 1]}`}-${runId}`;
  tags['mlflow.runName'] = runName;

  const sourceUrls = downloaded.data.files.map((file) => file.sourceUrl || file.uri);
  const params: Record<string, string> = {
    taxi_type: taxi,
    months: months.join(','),
    source_url: truncate(sourceUrls.join(','), MAX_PARAM_VALUE),
    duration_min_minutes: String(DURATION_MIN_MINUTES),
    duration_max_minutes: String(DURATION_MAX_MINUTES),
    features: FEATURES.join(','),
    encoding: 'DictVectorizer one-hot (string ids)',
    solver: t.solver,
  };
  if (validation) params['validation_month'] = validation;
  if (requested.data.source) params['source_override'] = truncate(requested.data.source, MAX_PARAM_VALUE);

  // Fixed timestamps (the event time): a replayed log-batch writes the same points, not new ones.
  const timestamp = Date.parse(trained.time);
  const values: Array<[string, number | null]> = [
    ['rows_loaded', rowsLoaded],
    ['rows_prepared', t.rowsTrain],
    ['n_features', t.nFeatures],
    ['intercept', t.intercept],
    ['rmse_train', t.rmseTrain],
    ['rmse_val', t.rmseVal],
    ['model_size_bytes', t.modelSizeBytes],
    ['rows_validation', features.data.validation?.rowsKept ?? null],
    ['duration_ingest_ms', downloaded.data.durationMs],
    ['duration_features_ms', features.data.durationMs],
    ['duration_train_ms', t.durationMs],
    ['duration_pipeline_ms', Math.max(0, timestamp - Date.parse(requested.time))],
  ];
  const metrics = values.filter((entry): entry is [string, number] => entry[1] !== null).map(([key, value]) => ({ key, value, timestamp, step: 0 }));

  const datasets = downloaded.data.files.map((file) => datasetOf(taxi, file, 'training'));
  if (downloaded.data.validation) datasets.push(datasetOf(taxi, downloaded.data.validation, 'validation'));

  const root = options.artifactRoot;
  const plotMonths = features.data.validation ? [features.data.validation] : features.data.months;
  const plotField = features.data.validation ? 'features.ready validation.statsUri' : 'features.ready months[].statsUri';
  return {
    pipelineRunId: runId,
    experimentName: experimentNameFor(options.experimentNamePattern, taxi),
    runName,
    startTime: Date.parse(requested.time),
    endTime: timestamp,
    tags,
    params,
    metrics,
    datasets,
    answers,
    score: t.rmseVal === null ? { metric: 'rmse_train', value: t.rmseTrain } : { metric: 'rmse_val', value: t.rmseVal },
    modelDir: localPathOf(t.modelUri, root, 'model.trained modelUri'),
    plot: {
      statsPaths: plotMonths.map((month) => localPathOf(month.statsUri, root, plotField)),
      label: features.data.validation ? `validation ${validation ?? formatYearMonth(features.data.validation)}` : `training ${months.join(', ')}`,
    },
  };
}

/** answers.md: the homework's answers as the UI's artifact viewer shows them. */
export function answersMarkdown(record: TrainingRunRecord): string {
  const a = record.answers;
  const integer = new Intl.NumberFormat('en-US');
  const rows: Array<[string, string]> = [
    ['Q3 rows loaded', integer.format(a.rows_loaded)],
    ['Q4 rows after preparation', integer.format(a.rows_prepared)],
    ['features (DictVectorizer)', integer.format(a.n_features)],
    ['Q5 intercept', a.intercept.toFixed(6)],
    ['training RMSE (minutes)', a.rmse_train.toFixed(6)],
    ['validation RMSE (minutes)', a.rmse_val === null ? '-' : a.rmse_val.toFixed(6)],
    ['Q6 model size (bytes)', integer.format(a.model_size_bytes)],
  ];
  return [
    `# Homework answers: ${record.runName}`,
    '',
    '| question | answer |',
    '|---|---|',
    ...rows.map(([q, v]) => `| ${q} | ${v} |`),
    '',
    `Pipeline run \`${record.pipelineRunId}\`; model directory \`${a.model_dir}\`.`,
    '',
  ].join('\n');
}
