import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@taxi-mlops/runtime';
import { terminalStateTypes, type LogCreate, type State, type StateCreate, type StateType } from './api-types';
import { PrefectApiError, type PrefectClient } from './client';
import type { PrefectAction, TaskName } from './decide';
import type { DeploymentKey } from './deployments';
import { uuidv5 } from './uuid5';

export interface DeploymentRef {
  id: string;
  flowName: string;
}

/** Prefect's names for the pipeline's tasks (task_key), and the rank of a state for "already there". */
const TASK_KEY_PREFIX = 'nyc-taxi-pipeline';
const rank = (type: StateType): number => (terminalStateTypes.has(type) ? 3 : type === 'CANCELLING' ? 2 : type === 'RUNNING' ? 1 : 0);

/**
 * Applies a run's actions to its flow run. Every call is safe to repeat: a replay after a restart
 * reads the flow run's and task runs' current states (cached afterwards) and skips what is done.
 * A terminal state is never overwritten, so a state set in the UI wins.
 */
export class FlowRunWriter {
  flowRunId: string | undefined;
  private flowState: State | undefined;
  private readonly taskStates = new Map<TaskName, State>();

  constructor(
    readonly runId: string,
    private readonly client: PrefectClient,
    private readonly deployments: ReadonlyMap<DeploymentKey, DeploymentRef>,
    private readonly logger: Logger,
    /** Told the id of a flow run this writer created (not of one Prefect started). */
    private readonly onFlowRunCreated?: (flowRunId: string, deployment: DeploymentKey) => Promise<void>,
  ) {}

  /** Performs one action; returns whether it changed anything (its log line is posted only then). */
  async apply(action: PrefectAction): Promise<boolean> {
    switch (action.kind) {
      case 'openFlowRun':
        return this.openFlowRun(action);
      case 'startTask':
        return this.startTask(action.task, action.upstream);
      case 'endTask':
        return this.setTaskState(action.task, { type: action.type, message: action.message }, true);
      case 'artifact':
        return this.createArtifactOnce(action.key, action.description, action.markdown);
      case 'endFlowRun':
        return this.endFlowRun(action.type, action.message);
    }
  }

  async log(level: number, message: string, task?: TaskName, name = 'prefect.flow_runs'): Promise<void> {
    if (!this.flowRunId) return;
    await this.client.createLogs([
      { name, level, message, timestamp: new Date().toISOString(), flow_run_id: this.flowRunId, task_run_id: task ? this.taskRunId(task) : null },
    ]);
  }

  async postLogs(lines: Array<Omit<LogCreate, 'flow_run_id' | 'task_run_id'> & { task?: TaskName }>): Promise<void> {
    if (!this.flowRunId || lines.length === 0) return;
    const flowRunId = this.flowRunId;
    await this.client.createLogs(
      lines.map(({ task, ...line }) => ({
        ...line,
        flow_run_id: flowRunId,
        // Only tasks that exist: an unknown task_run_id would still be stored, but point nowhere.
        task_run_id: task && this.taskStates.has(task) ? this.taskRunId(task) : null,
      })),
    );
  }

  taskRunId(task: TaskName): string {
    return uuidv5(`${this.flowRunId}/${task}`);
  }

  /** Cached flow-run state, read when unknown (first touch after a restart). */
  async currentFlowState(refresh = false): Promise<State | undefined> {
    if (!this.flowRunId) return undefined;
    if (refresh || !this.flowState) this.flowState = (await this.client.readFlowRun(this.flowRunId)).state ?? undefined;
    return this.flowState;
  }

  /** What the cancellation watcher saw. */
  noteFlowState(state: State | undefined): void {
    if (state) this.flowState = state;
  }

  private async openFlowRun(action: Extract<PrefectAction, { kind: 'openFlowRun' }>): Promise<boolean> {
    if (!this.flowRunId) {
      if (action.existingFlowRunId) {
        this.flowRunId = action.existingFlowRunId;
      } else {
        const deployment = this.deployments.get(action.deployment);
        if (!deployment) throw new PrefectApiError(`deployment ${action.deployment} is not registered`, undefined, false);
        // Created PENDING (forced on create), never SCHEDULED: the poller does not claim it again.
        // The idempotency key makes a replay return the same flow run.
        const flowRun = await this.client.createFlowRunFromDeployment(deployment.id, {
          state: { type: 'PENDING', message: `Started outside Prefect (pipeline run ${this.runId})` },
          name: action.name,
          parameters: action.parameters,
          idempotency_key: `pipeline-run-${this.runId}`,
          labels: { 'pipeline.run_id': this.runId },
        });
        // Announced before it is remembered: a failed announcement is retried, and the idempotency
        // key hands the same flow run back.
        await this.onFlowRunCreated?.(flowRun.id, action.deployment);
        this.flowRunId = flowRun.id;
        this.flowState = flowRun.state ?? undefined;
      }
    }
    return this.setFlowState({ type: 'RUNNING' }, false);
  }

  private async startTask(task: TaskName, upstream: TaskName | undefined): Promise<boolean> {
    if (!this.flowRunId) return false;
    if (!this.taskStates.has(task)) {
      const created = await this.client.createTaskRun({
        id: this.taskRunId(task),
        flow_run_id: this.flowRunId,
        task_key: `${TASK_KEY_PREFIX}.${task}`,
        dynamic_key: '0',
        name: task,
        tags: [task],
        task_inputs: upstream ? { [upstreamArgument[task]]: [{ input_type: 'task_run', id: this.taskRunId(upstream) }] } : {},
        empirical_policy: { retries: 0 },
      });
      this.taskStates.set(task, created.state ?? { type: 'PENDING' });
    }
    return this.setTaskState(task, { type: 'RUNNING' }, false);
  }

  private async setTaskState(task: TaskName, state: StateCreate, force: boolean): Promise<boolean> {
    if (!this.flowRunId) return false;
    let current = this.taskStates.get(task);
    if (!current) {
      try {
        current = (await this.client.readTaskRun(this.taskRunId(task))).state ?? { type: 'PENDING' };
      } catch (error) {
        if (error instanceof PrefectApiError && error.status === 404) return false; // never started: nothing to end
        throw error;
      }
      this.taskStates.set(task, current);
    }
    if (terminalStateTypes.has(current.type) || rank(current.type) >= rank(state.type)) return false;
    const result = await this.client.setTaskRunState(this.taskRunId(task), state, force);
    if (result.state) this.taskStates.set(task, result.state);
    if (result.status !== 'ACCEPT') {
      this.logger.info({ runId: this.runId, task, proposed: state.type, status: result.status, reason: result.details.reason }, 'prefect: task state not accepted');
    }
    return result.status === 'ACCEPT';
  }

  private async endFlowRun(type: StateType, message?: string): Promise<boolean> {
    // Read fresh: a state set in the UI (cancel, mark completed) must not be overwritten.
    const current = await this.currentFlowState(true);
    if (!current || terminalStateTypes.has(current.type)) return false;
    // A user cancel wins over the pipeline's own ending: CANCELLING only goes to CANCELLED.
    const target: StateCreate = current.type === 'CANCELLING' ? { type: 'CANCELLED', message: message ?? 'Cancelled.' } : { type, message };
    return this.setFlowState(target, target.type === 'CANCELLED');
  }

  private async setFlowState(state: StateCreate, force: boolean): Promise<boolean> {
    const current = await this.currentFlowState();
    if (!current || !this.flowRunId) return false;
    if (terminalStateTypes.has(current.type) || rank(current.type) >= rank(state.type)) return false;
    for (;;) {
      const result = await this.client.setFlowRunState(this.flowRunId, state, force);
      if (result.state) this.flowState = result.state;
      if (result.status === 'ACCEPT') return true;
      if (result.status === 'WAIT') {
        await sleep(Math.max(0.1, result.details.delay_seconds ?? 1) * 1000);
        continue;
      }
      this.logger.warn({ runId: this.runId, proposed: state.type, status: result.status, reason: result.details.reason }, 'prefect: flow run state not accepted');
      if (result.status === 'ABORT') await this.currentFlowState(true);
      if (this.flowState?.type === 'CANCELLING' && terminalStateTypes.has(state.type) && state.type !== 'CANCELLED') {
        return this.setFlowState({ type: 'CANCELLED', message: 'Cancelled.' }, true);
      }
      return false;
    }
  }

  private async createArtifactOnce(key: string, description: string, markdown: string): Promise<boolean> {
    if (!this.flowRunId) return false;
    const existing = await this.client.filterArtifacts({ artifacts: { flow_run_id: { any_: [this.flowRunId] }, key: { any_: [key] } }, limit: 1 });
    if (existing.length > 0) return false;
    await this.client.createArtifact({ key, type: 'markdown', description, data: markdown, flow_run_id: this.flowRunId });
    return true;
  }
}

/** The argument name under which each task's upstream shows in the task run's inputs. */
const upstreamArgument: Record<TaskName, string> = { download: 'month', features: 'raw_data', train: 'features', track: 'model' };
