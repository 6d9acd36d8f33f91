import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  Artifact,
  Deployment,
  Flow,
  FlowRun,
  Log,
  OrchestrationResult,
  TaskRun,
  type ArtifactCreate,
  type DeploymentCreate,
  type DeploymentFlowRunCreate,
  type LogCreate,
  type StateCreate,
  type StateType,
  type TaskRunCreate,
} from './api-types';

export interface PrefectClientOptions {
  /** e.g. http://127.0.0.1:4200/api */
  apiUrl: string;
  /** "user:pass" when the server sets PREFECT_SERVER_API_AUTH_STRING. */
  authString?: string;
  /** Attempts for 429/502/503/504 and connection errors before the error surfaces (default 4). */
  retries?: number;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
}

/** An HTTP answer the bridge cannot use; `retryable` says whether the same call may succeed later. */
export class PrefectApiError extends Error {
  override readonly name = 'PrefectApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** A small typed client over Prefect 3's REST API (no official TypeScript SDK exists). */
export class PrefectClient {
  readonly apiUrl: string;
  private readonly headers: Record<string, string>;
  private readonly retries: number;
  private readonly timeoutMs: number;

  constructor(options: PrefectClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (options.authString) this.headers.authorization = `Basic ${Buffer.from(options.authString).toString('base64')}`;
    this.retries = options.retries ?? 4;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The UI's address (the API is mounted under /api of the same server). */
  get uiUrl(): string {
    return this.apiUrl.replace(/\/api$/, '');
  }

  async health(): Promise<boolean> {
    try {
      return (await this.request('GET', '/health', undefined, z.unknown(), { retries: 1 })) === true;
    } catch {
      return false;
    }
  }

  version(): Promise<string> {
    return this.request('GET', '/admin/version', undefined, z.string());
  }

  upsertFlow(name: string, tags: string[] = []): Promise<Flow> {
    return this.request('POST', '/flows/', { name, tags }, Flow);
  }

  upsertDeployment(body: DeploymentCreate): Promise<Deployment> {
    return this.request('POST', '/deployments/', body, Deployment);
  }

  readDeployment(id: string): Promise<Deployment> {
    return this.request('GET', `/deployments/${id}`, undefined, Deployment);
  }

  readDeploymentByName(flowName: string, deploymentName: string): Promise<Deployment> {
    return this.request('GET', `/deployments/name/${encodeURIComponent(flowName)}/${encodeURIComponent(deploymentName)}`, undefined, Deployment);
  }

  filterDeployments(body: Record<string, unknown>): Promise<Deployment[]> {
    return this.request('POST', '/deployments/filter', body, z.array(Deployment));
  }

  /** Runs waiting to start; the call also marks the deployments READY (last_polled = now). */
  getScheduledFlowRuns(deploymentIds: string[], scheduledBefore: Date, limit = 20): Promise<FlowRun[]> {
    return this.request(
      'POST',
      '/deployments/get_scheduled_flow_runs',
      { deployment_ids: deploymentIds, scheduled_before: scheduledBefore.toISOString(), limit },
      z.array(FlowRun),
    );
  }

  /** What the UI's Quick Run calls; also used for runs started outside Prefect. */
  createFlowRunFromDeployment(deploymentId: string, body: DeploymentFlowRunCreate): Promise<FlowRun> {
    return this.request('POST', `/deployments/${deploymentId}/create_flow_run`, body, FlowRun);
  }

  readFlowRun(id: string): Promise<FlowRun> {
    return this.request('GET', `/flow_runs/${id}`, undefined, FlowRun);
  }

  filterFlowRuns(body: Record<string, unknown>): Promise<FlowRun[]> {
    return this.request('POST', '/flow_runs/filter', body, z.array(FlowRun));
  }

  setFlowRunState(id: string, state: StateCreate, force = false): Promise<OrchestrationResult> {
    return this.request('POST', `/flow_runs/${id}/set_state`, { state: { ...state, data: null }, force }, OrchestrationResult);
  }

  /** Idempotent on (flow_run_id, task_key, dynamic_key): an existing row is returned unchanged. */
  createTaskRun(body: TaskRunCreate): Promise<TaskRun> {
    return this.request('POST', '/task_runs/', body, TaskRun);
  }

  readTaskRun(id: string): Promise<TaskRun> {
    return this.request('GET', `/task_runs/${id}`, undefined, TaskRun);
  }

  filterTaskRuns(body: Record<string, unknown>): Promise<TaskRun[]> {
    return this.request('POST', '/task_runs/filter', body, z.array(TaskRun));
  }

  setTaskRunState(id: string, state: StateCreate, force = false): Promise<OrchestrationResult> {
    return this.request('POST', `/task_runs/${id}/set_state`, { state: { ...state, data: null }, force }, OrchestrationResult);
  }

  async createLogs(logs: LogCreate[]): Promise<void> {
    if (logs.length === 0) return;
    // PostgreSQL rejects NUL bytes in text (and Prefect < 3.6.18 then fails the whole batch).
    const clean = logs.map((log) => ({ ...log, message: log.message.replaceAll('\u0000', '') }));
    await this.request('POST', '/logs/', clean, z.unknown());
  }

  filterLogs(flowRunId: string, limit = 200): Promise<Log[]> {
    return this.request('POST', '/logs/filter', { logs: { flow_run_id: { any_: [flowRunId] } }, sort: 'TIMESTAMP_ASC', limit }, z.array(Log));
  }

  createArtifact(body: ArtifactCreate): Promise<Artifact> {
    return this.request('POST', '/artifacts/', body, Artifact);
  }

  filterArtifacts(body: Record<string, unknown>): Promise<Artifact[]> {
    return this.request('POST', '/artifacts/filter', body, z.array(Artifact));
  }

  /** Flow runs among `ids` whose state is one of `types`. */
  flowRunsInStates(ids: string[], types: StateType[]): Promise<FlowRun[]> {
    return this.filterFlowRuns({ flow_runs: { id: { any_: ids }, state: { type: { any_: types } } }, limit: 200 });
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    options: { retries?: number } = {},
  ): Promise<T> {
    const attempts = Math.max(1, options.retries ?? this.retries);
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(this.apiUrl + path, {
          method,
          headers: this.headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        if (attempt < attempts) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw new PrefectApiError(`Prefect ${what}: ${(error as Error).message} (${this.apiUrl})`, undefined, true, { cause: error });
      }
      if (RETRY_STATUSES.has(response.status) && attempt < attempts) {
        await response.body?.cancel();
        await sleep(retryAfterMs(response.headers.get('retry-after')) ?? backoffMs(attempt));
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        const retryable = RETRY_STATUSES.has(response.status) || response.status >= 500;
        throw new PrefectApiError(`Prefect ${what}: HTTP ${response.status}: ${text.slice(0, 500)}`, response.status, retryable);
      }
      const json: unknown = text === '' ? null : JSON.parse(text);
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        throw new PrefectApiError(`Prefect ${what}: unexpected response: ${reason}`, response.status, false);
      }
      return parsed.data;
    }
  }
}

function backoffMs(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** (attempt - 1));
}

/** Retry-After is seconds or an HTTP date. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(60_000, Math.max(0, seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(60_000, Math.max(0, date - Date.now()));
}
