import { z } from 'zod';
import { isMlflowErrorCode, MlflowHttp, MlflowRequestError, type HttpOptions } from './http';
import { ArtifactFile, Experiment, LoggedModel, ModelVersion, Run, type KeyValue } from './schemas';

/** MLflow's per-request limits for runs/log-batch (utils/validation.py). */
const MAX_METRICS_PER_BATCH = 1000;
const MAX_PARAMS_TAGS_PER_BATCH = 100;

export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds; pass a fixed one so a replayed batch is recognised as the same points. */
  timestamp: number;
  step?: number;
  /** 3.x: also shows the metric on this LoggedModel's page. */
  modelId?: string;
}

export interface DatasetInputSpec {
  name: string;
  /** ≤ 36 characters. */
  digest: string;
  sourceType: string;
  /** JSON text. */
  source: string;
  schema?: string;
  profile?: string;
  tags: Record<string, string>;
}

export type LoggedModelStatus = 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED';

const pairs = (record: Record<string, string>): KeyValue[] => Object.entries(record).map(([key, value]) => ({ key, value }));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** NaN and ±Inf cannot travel as JSON numbers; protobuf JSON takes these strings. */
function metricValue(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/** A typed subset of MLflow's REST API (tracking, LoggedModel, artifacts proxy, registry). */
export class MlflowClient {
  readonly http: MlflowHttp;
  private version: string | undefined;

  constructor(options: HttpOptions) {
    this.http = new MlflowHttp(options);
  }

  get trackingUri(): string {
    return this.http.baseUrl;
  }

  private api(path: string): string {
    return `/api/2.0/mlflow${path}`;
  }

  private async call<S extends z.ZodType>(schema: S, spec: Parameters<MlflowHttp['json']>[0]): Promise<z.infer<S>> {
    const body = await this.http.json(spec);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new MlflowRequestError(`${spec.method} ${spec.path}: unexpected response (${fields})`, 200, undefined);
    }
    return parsed.data;
  }

  // ---- server ----

  /** `GET /version`, e.g. "3.17.2" (cached). */
  async serverVersion(): Promise<string> {
    this.version ??= (await this.http.bytes({ method: 'GET', path: '/version' })).toString('utf8').trim();
    return this.version;
  }

  /** LoggedModel endpoints exist from MLflow 3.0. */
  async supportsLoggedModels(): Promise<boolean> {
    const major = Number.parseInt((await this.serverVersion()).split('.')[0] ?? '', 10);
    return major >= 3;
  }

  // ---- experiments ----

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const { experiment } = await this.call(z.object({ experiment: Experiment }), {
        method: 'GET',
        path: this.api('/experiments/get-by-name'),
        query: { experiment_name: name },
      });
      return experiment;
    } catch (error) {
      if (isMlflowErrorCode(error, 'RESOURCE_DOES_NOT_EXIST')) return undefined;
      throw error;
    }
  }

  async createExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    // No artifact_location: the server default (mlflow-artifacts:/<id>) is the only one REST can upload to.
    const { experiment_id } = await this.call(z.object({ experiment_id: z.string() }), {
      method: 'POST',
      path: this.api('/experiments/create'),
      json: { name, tags: pairs(tags) },
    });
    return experiment_id;
  }

  /** Get by name, create on 404, and get again if another writer created it in between. */
  async getOrCreateExperiment(name: string): Promise<Experiment> {
    const existing = await this.getExperimentByName(name);
    if (existing) return this.activeExperiment(existing);
    try {
      await this.createExperiment(name);
    } catch (error) {
      if (!isMlflowErrorCode(error, 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
    const created = await this.getExperimentByName(name);
    if (!created) throw new MlflowRequestError(`experiment "${name}" was created but cannot be read back`, 404, 'RESOURCE_DOES_NOT_EXIST');
    return this.activeExperiment(created);
  }

  private async activeExperiment(experiment: Experiment): Promise<Experiment> {
    if (experiment.lifecycle_stage !== 'deleted') return experiment;
    // A deleted experiment still holds its name; restoring it is what a user expects.
    await this.http.json({ method: 'POST', path: this.api('/experiments/restore'), json: { experiment_id: experiment.experiment_id } });
    return { ...experiment, lifecycle_stage: 'active' };
  }

  // ---- runs ----

  async createRun(request: { experimentId: string; runName: string; startTime: number; tags: Record<string, string> }): Promise<Run> {
    // mlflow.runName is set by the server from run_name; sending both (and different) is a 400.
    const { ['mlflow.runName']: _runNameTag, ...tags } = request.tags;
    const { run } = await this.call(z.object({ run: Run }), {
      method: 'POST',
      path: this.api('/runs/create'),
      json: { experiment_id: request.experimentId, run_name: request.runName, start_time: request.startTime, tags: pairs(tags) },
    });
    return run;
  }

  async getRun(runId: string): Promise<Run> {
    const { run } = await this.call(z.object({ run: Run }), { method: 'GET', path: this.api('/runs/get'), query: { run_id: runId } });
    return run;
  }

  async searchRuns(request: { experimentIds: string[]; filter: string; maxResults?: number; orderBy?: string[] }): Promise<Run[]> {
    const { runs } = await this.call(z.object({ runs: z.array(Run).default([]) }), {
      method: 'POST',
      path: this.api('/runs/search'),
      json: {
        experiment_ids: request.experimentIds,
        filter: request.filter,
        run_view_type: 'ACTIVE_ONLY',
        max_results: request.maxResults ?? 100,
        order_by: request.orderBy ?? [],
      },
    });
    return runs;
  }

  async updateRun(request: { runId: string; status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED'; endTime?: number }): Promise<void> {
    await this.http.json({
      method: 'POST',
      path: this.api('/runs/update'),
      json: { run_id: request.runId, status: request.status, ...(request.endTime === undefined ? {} : { end_time: request.endTime }) },
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Array<{ value: number | string; timestamp?: number | undefined; step?: number | undefined }>> {
    const { metrics } = await this.call(z.object({ metrics: z.array(z.object({ value: z.union([z.number(), z.string()]), timestamp: z.number().optional(), step: z.number().optional() })).default([]) }), {
      method: 'GET',
      path: this.api('/metrics/get-history'),
      query: { run_id: runId, metric_key: key },
    });
    return metrics;
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.json({ method: 'POST', path: this.api('/runs/set-tag'), json: { run_id: runId, key, value } });
  }

  /** Params, metrics and tags, split into batches within MLflow's limits. */
  async logBatch(request: { runId: string; params?: Record<string, string>; metrics?: MetricPoint[]; tags?: Record<string, string> }): Promise<void> {
    const params = pairs(request.params ?? {});
    const tags = pairs(request.tags ?? {});
    const metrics = (request.metrics ?? []).map((m) => ({
      key: m.key,
      value: metricValue(m.value),
      timestamp: m.timestamp,
      step: m.step ?? 0,
      ...(m.modelId ? { model_id: m.modelId } : {}),
    }));
    const batches: Array<{ params: KeyValue[]; tags: KeyValue[]; metrics: typeof metrics }> = [
      ...chunks(params, MAX_PARAMS_TAGS_PER_BATCH).map((p) => ({ params: p, tags: [], metrics: [] })),
      ...chunks(tags, MAX_PARAMS_TAGS_PER_BATCH).map((t) => ({ params: [], tags: t, metrics: [] })),
      ...chunks(metrics, MAX_METRICS_PER_BATCH).map((m) => ({ params: [], tags: [], metrics: m })),
    ];
    for (const batch of batches) {
      await this.http.json({ method: 'POST', path: this.api('/runs/log-batch'), json: { run_id: request.runId, ...batch } });
    }
  }

  async logInputs(runId: string, datasets: DatasetInputSpec[]): Promise<void> {
    await this.http.json({
      method: 'POST',
      path: this.api('/runs/log-inputs'),
      json: {
        run_id: runId,
        datasets: datasets.map((d) => ({
          tags: pairs(d.tags),
          dataset: {
            name: d.name,
            digest: d.digest,
            source_type: d.sourceType,
            source: d.source,
            ...(d.schema ? { schema: d.schema } : {}),
            ...(d.profile ? { profile: d.profile } : {}),
          },
        })),
      },
    });
  }

  /** 2.x: appends to the run's `mlflow.log-model.history` tag (the UI's model link on 2.x). */
  async logModelHistory(runId: string, model: { artifactPath: string; flavors: Record<string, unknown>; utcTimeCreated: string; modelUuid: string }): Promise<void> {
    const modelJson = JSON.stringify({
      run_id: runId,
      artifact_path: model.artifactPath,
      utc_time_created: model.utcTimeCreated,
      model_uuid: model.modelUuid,
      flavors: model.flavors,
    });
    await this.http.json({ method: 'POST', path: this.api('/runs/log-model'), json: { run_id: runId, model_json: modelJson } });
  }

  // ---- LoggedModel (3.x) ----

  async createLoggedModel(request: {
    experimentId: string;
    name: string;
    sourceRunId: string;
    modelType?: string;
    params?: Record<string, string>;
    tags?: Record<string, string>;
  }): Promise<LoggedModel> {
    const { model } = await this.call(z.object({ model: LoggedModel }), {
      method: 'POST',
      path: this.api('/logged-models'),
      json: {
        experiment_id: request.experimentId,
        name: request.name,
        source_run_id: request.sourceRunId,
        ...(request.modelType ? { model_type: request.modelType } : {}),
        params: pairs(request.params ?? {}),
        tags: pairs(request.tags ?? {}),
      },
    });
    return model;
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const { model } = await this.call(z.object({ model: LoggedModel }), { method: 'GET', path: this.api(`/logged-models/${encodeURIComponent(modelId)}`) });
    return model;
  }

  async searchLoggedModels(request: { experimentIds: string[]; filter: string }): Promise<LoggedModel[]> {
    const { models } = await this.call(z.object({ models: z.array(LoggedModel).default([]) }), {
      method: 'POST',
      path: this.api('/logged-models/search'),
      json: { experiment_ids: request.experimentIds, filter: request.filter, max_results: 50 },
    });
    return models;
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<void> {
    // The handler reads model_id from the body, not the URL.
    await this.http.json({ method: 'PATCH', path: this.api(`/logged-models/${encodeURIComponent(modelId)}`), json: { model_id: modelId, status } });
  }

  /** Links models to the run as outputs (3.x `runs/outputs`, not `log-outputs`). */
  async logOutputs(runId: string, modelIds: string[]): Promise<void> {
    await this.http.json({ method: 'POST', path: this.api('/runs/outputs'), json: { run_id: runId, models: modelIds.map((model_id) => ({ model_id, step: 0 })) } });
  }

  // ---- artifacts (proxy) ----

  /** `mlflow-artifacts:/1/abc/artifacts` + `model/MLmodel` → the proxy path `/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel`. */
  artifactPath(artifactUri: string, relativePath = ''): string {
    const match = /^mlflow-artifacts:(?:\/\/[^/]+)?\/*(.*)$/.exec(artifactUri);
    if (!match) {
      throw new MlflowRequestError(
        `artifact URI "${artifactUri}" is not served by the tracking server (mlflow-artifacts:); start MLflow with artifact serving on and no --default-artifact-root`,
        400,
        undefined,
      );
    }
    const parts = [match[1] ?? '', relativePath].filter((p) => p !== '').join('/');
    if (parts.split('/').some((segment) => segment === '..')) throw new MlflowRequestError(`artifact path "${parts}" contains ".."`, 400, undefined);
    return `/api/2.0/mlflow-artifacts/artifacts/${parts.split('/').map(encodeURIComponent).join('/')}`;
  }

  async uploadArtifact(artifactUri: string, relativePath: string, body: Uint8Array, contentType?: string): Promise<void> {
    await this.http.json({ method: 'PUT', path: this.artifactPath(artifactUri, relativePath), body, ...(contentType ? { contentType } : {}) });
  }

  async downloadArtifact(artifactUri: string, relativePath: string): Promise<Buffer> {
    return this.http.bytes({ method: 'GET', path: this.artifactPath(artifactUri, relativePath) });
  }

  /** Basenames of the entries of one artifact folder. */
  async listArtifacts(artifactUri: string, relativePath = ''): Promise<ArtifactFile[]> {
    const path = this.artifactPath(artifactUri, relativePath).slice('/api/2.0/mlflow-artifacts/artifacts/'.length);
    const { files } = await this.call(z.object({ files: z.array(ArtifactFile).default([]) }), {
      method: 'GET',
      path: '/api/2.0/mlflow-artifacts/artifacts',
      query: { path: decodeURIComponent(path) },
    });
    return files;
  }

  // ---- registry ----

  /** Creates the registered model; one that exists already is fine. */
  async ensureRegisteredModel(name: string, description?: string): Promise<void> {
    try {
      await this.http.json({ method: 'POST', path: this.api('/registered-models/create'), json: { name, ...(description ? { description } : {}) } });
    } catch (error) {
      if (!isMlflowErrorCode(error, 'RESOURCE_ALREADY_EXISTS')) throw error;
    }
  }

  async createModelVersion(request: { name: string; source: string; runId: string; modelId?: string; tags?: Record<string, string> }): Promise<ModelVersion> {
    const { model_version } = await this.call(z.object({ model_version: ModelVersion }), {
      method: 'POST',
      path: this.api('/model-versions/create'),
      json: {
        name: request.name,
        source: request.source,
        run_id: request.runId,
        ...(request.modelId ? { model_id: request.modelId } : {}),
        tags: pairs(request.tags ?? {}),
      },
    });
    return model_version;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const { model_version } = await this.call(z.object({ model_version: ModelVersion }), {
      method: 'GET',
      path: this.api('/model-versions/get'),
      query: { name, version },
    });
    return model_version;
  }

  async searchModelVersions(filter: string): Promise<ModelVersion[]> {
    const { model_versions } = await this.call(z.object({ model_versions: z.array(ModelVersion).default([]) }), {
      method: 'GET',
      path: this.api('/model-versions/search'),
      query: { filter, max_results: '1000' },
    });
    return model_versions;
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.http.json({ method: 'POST', path: this.api('/model-versions/set-tag'), json: { name, version, key, value } });
  }

  /** Where the version's files are (resolves `models:/m-…` sources to the LoggedModel's location). */
  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const { artifact_uri } = await this.call(z.object({ artifact_uri: z.string() }), {
      method: 'GET',
      path: this.api('/model-versions/get-download-uri'),
      query: { name, version },
    });
    return artifact_uri;
  }

  /** The version an alias points at, or undefined when the alias (or the model) does not exist. */
  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const { model_version } = await this.call(z.object({ model_version: ModelVersion }), {
        method: 'GET',
        path: this.api('/registered-models/alias'),
        query: { name, alias },
      });
      return model_version;
    } catch (error) {
      // No registered model: RESOURCE_DOES_NOT_EXIST; no such alias: INVALID_PARAMETER_VALUE "alias … not found".
      if (isMlflowErrorCode(error, 'RESOURCE_DOES_NOT_EXIST')) return undefined;
      if (isMlflowErrorCode(error, 'INVALID_PARAMETER_VALUE') && /alias .* not found/i.test((error as Error).message)) return undefined;
      throw error;
    }
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.http.json({ method: 'POST', path: this.api('/registered-models/alias'), json: { name, alias, version } });
  }
}
