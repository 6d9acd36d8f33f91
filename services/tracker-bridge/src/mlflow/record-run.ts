import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PipelineError } from '@taxi-mlops/contracts';
import { loadPredictor } from '@taxi-mlops/model-format';
import { mergePairStatistics, readPairStatistics } from '@taxi-mlops/pair-stats';
import { CHAMPION_ALIAS, decideChampion } from './champion-rule';
import type { MlflowClient } from '@taxi-mlops/mlflow-client';
import { predictedVsActualSvg } from './plot';
import { answersMarkdown, RUN_ID_TAG, SCORE_METRIC_TAG, SCORE_TAG, TRACKED_TAG, type TrainingRunRecord } from './run-record';
import { metricRecord, tagRecord, type Run } from '@taxi-mlops/mlflow-client';

export interface RecordResult {
  mlflowRunId: string;
  experimentId: string;
  experimentName: string;
  registeredModel: string;
  modelVersion: string;
  modelId?: string;
  champion: boolean;
  runUrl: string;
  /** False when the run was already completely recorded (a redelivery). */
  recordedNow: boolean;
}

export interface RecordDeps {
  client: MlflowClient;
  registeredModelName: string;
  /** Base of the run links people open; default the client's tracking URI. */
  uiUrl?: string;
  /** Progress notes (and a chance to heartbeat the message). */
  onStep?: (step: string) => void;
}

const MODEL_ARTIFACT_PATH = 'model';
const LOGGED_MODEL_NAME = 'model';
const MODEL_ID_TAG = 'taxi_mlops.model_id';
const MODEL_VERSION_TAG = 'taxi_mlops.model_version';
const PLOT_PATH = 'plots/predicted_vs_actual.svg';

const quote = (value: string) => `'${value.replaceAll("'", "\\'")}'`;

/**
 * Records one pipeline run in MLflow. Every step first looks at what MLflow already has, so a
 * redelivery or a restart after any step finishes the same run instead of making a second one.
 */
export async function recordTrainingRun(record: TrainingRunRecord, deps: RecordDeps): Promise<RecordResult> {
  const { client, registeredModelName } = deps;
  const step = (name: string) => deps.onStep?.(name);
  // Local files first: a missing model fails the stage before anything is written to MLflow.
  const modelFiles = await readModelDirectory(record.modelDir);
  const plot = await plotFor(record);

  const experiment = await client.getOrCreateExperiment(record.experimentName);
  const experimentId = experiment.experiment_id;
  let run = await findOrCreateRun(client, experimentId, record);
  const runId = run.info.run_id;
  const runUrl = `${(deps.uiUrl ?? client.trackingUri).replace(/\/+$/, '')}/#/experiments/${experimentId}/runs/${runId}`;
  const base = { mlflowRunId: runId, experimentId, experimentName: record.experimentName, registeredModel: registeredModelName, runUrl };

  const tags = tagRecord(run.data.tags);
  const recordedVersion = tags[MODEL_VERSION_TAG];
  if (tags[TRACKED_TAG] === 'true' && recordedVersion) {
    const champion = await client.getModelVersionByAlias(registeredModelName, CHAMPION_ALIAS);
    return { ...base, modelVersion: recordedVersion, ...(tags[MODEL_ID_TAG] ? { modelId: tags[MODEL_ID_TAG] } : {}), champion: champion?.version === recordedVersion, recordedNow: false };
  }

  step('params, metrics, tags');
  const { ['mlflow.runName']: _runName, ...otherTags } = record.tags;
  await client.logBatch({ runId, params: record.params, tags: otherTags, metrics: record.metrics });

  step('dataset inputs');
  const logged = new Set(run.inputs.dataset_inputs.map((input) => `${input.dataset.name}@${input.dataset.digest}`));
  const datasets = record.datasets.filter((dataset) => !logged.has(`${dataset.name}@${dataset.digest}`));
  if (datasets.length > 0) await client.logInputs(runId, datasets);

  step('answers and plot');
  const artifactUri = requireArtifactUri(run);
  await client.uploadArtifact(artifactUri, 'answers.json', Buffer.from(`${JSON.stringify(record.answers, null, 2)}\n`), 'application/json');
  await client.uploadArtifact(artifactUri, 'answers.md', Buffer.from(answersMarkdown(record)), 'text/markdown');
  await client.uploadArtifact(artifactUri, PLOT_PATH, Buffer.from(plot), 'image/svg+xml');

  step('model');
  let source: string;
  let modelId: string | undefined;
  if (await client.supportsLoggedModels()) {
    modelId = await logModelV3(client, { experimentId, run, record, modelFiles });
    source = `models:/${modelId}`;
    await client.setTag(runId, MODEL_ID_TAG, modelId);
  } else {
    await logModelV2(client, { run, modelFiles });
    source = `${artifactUri}/${MODEL_ARTIFACT_PATH}`;
  }

  step('registry');
  await client.ensureRegisteredModel(registeredModelName, 'NYC taxi trip duration (minutes) from pickup and dropoff zone; ONNX, trained by taxi-mlops.');
  const existing = await client.searchModelVersions(`name=${quote(registeredModelName)} and run_id=${quote(runId)}`);
  const version =
    existing.sort((a, b) => Number(a.version) - Number(b.version))[0] ??
    (await client.createModelVersion({
      name: registeredModelName,
      source,
      runId,
      ...(modelId ? { modelId } : {}),
      tags: { [SCORE_TAG]: String(record.score.value), [SCORE_METRIC_TAG]: record.score.metric, [RUN_ID_TAG]: record.pipelineRunId },
    }));
  await client.setTag(runId, MODEL_VERSION_TAG, version.version);

  step('champion');
  const champion = await moveChampionIfBetter(client, registeredModelName, version.version, record.score.value);

  run = await client.getRun(runId);
  if (run.info.status !== 'FINISHED') await client.updateRun({ runId, status: 'FINISHED', endTime: record.endTime });
  await client.setTag(runId, TRACKED_TAG, 'true');
  return { ...base, modelVersion: version.version, ...(modelId ? { modelId } : {}), champion, recordedNow: true };
}

async function findOrCreateRun(client: MlflowClient, experimentId: string, record: TrainingRunRecord): Promise<Run> {
  const found = await client.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${RUN_ID_TAG}\` = ${quote(record.pipelineRunId)}`,
    orderBy: ['attributes.start_time ASC'],
  });
  if (found[0]) return found[0];
  return client.createRun({ experimentId, runName: record.runName, startTime: record.startTime, tags: record.tags });
}

function requireArtifactUri(run: Run): string {
  const uri = run.info.artifact_uri;
  if (!uri) throw new PipelineError('internal', `MLflow run ${run.info.run_id} has no artifact_uri`);
  return uri;
}

interface ModelFile {
  path: string;
  bytes: Buffer;
}

/** Every file of the trainer's model directory, uploaded unchanged. */
async function readModelDirectory(dir: string): Promise<ModelFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (cause) {
    throw new PipelineError('artifact_missing', `model.trained modelUri: cannot read the model directory ${dir} (${String(cause)})`, { cause });
  }
  const files: ModelFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: relative(dir, full).split(sep).join('/'), bytes: await readFile(full) });
  }
  if (!files.some((file) => file.path === 'MLmodel')) throw new PipelineError('artifact_missing', `model.trained modelUri: ${dir} has no MLmodel file`);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

const contentTypeOf = (path: string) => (path.endsWith('.yaml') || path === 'MLmodel' || path.endsWith('.txt') ? 'text/plain' : 'application/octet-stream');

/** MLflow 3: a LoggedModel whose source run is this run, linked as its output, READY once uploaded. */
async function logModelV3(client: MlflowClient, input: { experimentId: string; run: Run; record: TrainingRunRecord; modelFiles: ModelFile[] }): Promise<string> {
  const { run, record } = input;
  const runId = run.info.run_id;
  const existing = await client.searchLoggedModels({ experimentIds: [input.experimentId], filter: `source_run_id = ${quote(runId)}` });
  const tags = record.tags;
  const model =
    existing.find((m) => m.info.name === LOGGED_MODEL_NAME) ??
    (await client.createLoggedModel({
      experimentId: input.experimentId,
      name: LOGGED_MODEL_NAME,
      sourceRunId: runId,
      modelType: 'onnx',
      params: record.params,
      tags: {
        'mlflow.user': tags['mlflow.user'] ?? '',
        'mlflow.source.name': tags['mlflow.source.name'] ?? '',
        'mlflow.source.type': tags['mlflow.source.type'] ?? '',
        [RUN_ID_TAG]: record.pipelineRunId,
      },
    }));
  const modelId = model.info.model_id;
  if (!run.outputs.model_outputs.some((output) => output.model_id === modelId)) await client.logOutputs(runId, [modelId]);
  // The same points again, linked to the model: its page shows the metrics too.
  await client.logBatch({ runId, metrics: record.metrics.map((metric) => ({ ...metric, modelId })) });
  if (model.info.status !== 'LOGGED_MODEL_READY') {
    for (const file of input.modelFiles) await client.uploadArtifact(model.info.artifact_uri, file.path, file.bytes, contentTypeOf(file.path));
    await client.finalizeLoggedModel(modelId, 'LOGGED_MODEL_READY');
  }
  return modelId;
}

/** MLflow 2: the files under the run's `model/` folder plus the `mlflow.log-model.history` tag. */
async function logModelV2(client: MlflowClient, input: { run: Run; modelFiles: ModelFile[] }): Promise<void> {
  const { run } = input;
  const artifactUri = requireArtifactUri(run);
  for (const file of input.modelFiles) await client.uploadArtifact(artifactUri, `${MODEL_ARTIFACT_PATH}/${file.path}`, file.bytes, contentTypeOf(file.path));
  const history = tagRecord(run.data.tags)['mlflow.log-model.history'] ?? '[]';
  if ((JSON.parse(history) as Array<{ artifact_path?: string }>).some((entry) => entry.artifact_path === MODEL_ARTIFACT_PATH)) return;
  const mlmodel = parseYaml(input.modelFiles.find((file) => file.path === 'MLmodel')!.bytes.toString('utf8')) as {
    flavors?: Record<string, Record<string, unknown>>;
    utc_time_created?: string;
    model_uuid?: string;
  };
  // log-model's model_json carries the flavors without their `config` (as Model.get_tags_dict does).
  const flavors = Object.fromEntries(Object.entries(mlmodel.flavors ?? {}).map(([name, { config: _config, ...rest }]) => [name, rest]));
  await client.logModelHistory(run.info.run_id, {
    artifactPath: MODEL_ARTIFACT_PATH,
    flavors,
    utcTimeCreated: mlmodel.utc_time_created ?? new Date().toISOString().replace('T', ' ').replace('Z', ''),
    modelUuid: mlmodel.model_uuid ?? run.info.run_id,
  });
}

/** The current champion's score: its version tag, else its run's metrics. */
async function championScore(client: MlflowClient, version: { run_id?: string; tags: Array<{ key: string; value: string }> }): Promise<number | undefined> {
  const tagged = tagRecord(version.tags)[SCORE_TAG];
  if (tagged !== undefined && Number.isFinite(Number(tagged))) return Number(tagged);
  if (!version.run_id) return undefined;
  try {
    const metrics = metricRecord(await client.getRun(version.run_id));
    return metrics['rmse_val'] ?? metrics['rmse_train'];
  } catch {
    return undefined; // the run was deleted: nothing to compare with
  }
}

async function moveChampionIfBetter(client: MlflowClient, name: string, version: string, score: number): Promise<boolean> {
  const current = await client.getModelVersionByAlias(name, CHAMPION_ALIAS);
  if (current?.version === version) return true;
  const decision = decideChampion(score, current ? { version: current.version, score: await championScore(client, current) } : undefined);
  await client.setModelVersionTag(name, version, 'taxi_mlops.champion_decision', decision.reason);
  if (decision.take) await client.setAlias(name, CHAMPION_ALIAS, version);
  return decision.take;
}

async function plotFor(record: TrainingRunRecord): Promise<string> {
  const months = await Promise.all(
    record.plot.statsPaths.map((path) =>
      readPairStatistics(path).catch((cause: unknown) => {
        throw new PipelineError('artifact_missing', `features.ready statsUri: cannot read ${path} (${String(cause)})`, { cause });
      }),
    ),
  );
  const stats = months.length === 1 ? months[0]! : mergePairStatistics(months);
  const predictor = await loadPredictor(record.modelDir);
  const predictions = predictor.predictBatch(Array.from(stats.pu, (pu, i) => ({ PULocationID: pu, DOLocationID: stats.do[i]! })));
  return predictedVsActualSvg(stats, predictions, { title: `Predicted vs actual duration, ${record.runName} (${record.plot.label})` });
}
