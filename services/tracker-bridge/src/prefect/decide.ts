import { formatYearMonth, type EventData, type Envelope, type Stage } from '@taxi-mlops/contracts';
import type { DeploymentKey } from './deployments';
import { answersReport, dataDownloadReport, type ReportContext } from './answers';

/**
 * The pure core of the Prefect mirror: a run's state is a fold over its own pipeline events, and
 * each event yields the Prefect calls that make the flow run look like the pipeline. Nothing here
 * does I/O, so the rules are tested without servers and a restarted bridge re-derives the same
 * state from the stream.
 */

export const taskNames = ['download', 'features', 'train', 'track'] as const;
export type TaskName = (typeof taskNames)[number];

export const taskOfStage: Record<Stage, TaskName> = { ingest: 'download', features: 'features', train: 'train', track: 'track' };
/** Graph edges: each task's upstream task (drawn by the UI from `task_inputs`). */
export const upstreamOf: Record<TaskName, TaskName | undefined> = { download: undefined, features: 'download', train: 'features', track: 'train' };

export type TaskStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'crashed';
export type FlowEnd = 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'CRASHED';
export type TaskEnd = FlowEnd;

export interface LogLine {
  level: number;
  message: string;
}

export type PrefectAction =
  /** Make sure the flow run exists (create it for runs started outside Prefect) and is RUNNING. */
  | {
      kind: 'openFlowRun';
      deployment: Exclude<DeploymentKey, 'model-inspection'>;
      existingFlowRunId?: string;
      name: string;
      parameters: Record<string, unknown>;
      log: LogLine;
    }
  | { kind: 'startTask'; task: TaskName; upstream?: TaskName; log?: LogLine }
  | { kind: 'endTask'; task: TaskName; type: TaskEnd; message?: string; log?: LogLine }
  | { kind: 'artifact'; key: string; description: string; markdown: string; log?: LogLine }
  | { kind: 'endFlowRun'; type: FlowEnd; message?: string; log?: LogLine };

export interface RunState {
  runId: string;
  requested?: EventData<'run.requested'>;
  traceId?: string;
  tasks: Partial<Record<TaskName, TaskStatus>>;
  downloaded?: EventData<'data.downloaded'>;
  features?: EventData<'features.ready'>;
  trained?: EventData<'model.trained'>;
  tracked?: EventData<'model.tracked'>;
  completed?: EventData<'run.completed'>;
  /** How the flow run ended, once the bridge decided it. */
  ended?: FlowEnd;
  /** Time of the newest event (for the no-events timeout). */
  lastEventTime?: string;
}

export interface DecideContext extends ReportContext {
  /** A training run completes only after `model.tracked` (the MLflow part). */
  waitForTracking: boolean;
}

export interface Decision {
  state: RunState;
  actions: PrefectAction[];
}

export function initialRunState(runId: string): RunState {
  return { runId, tasks: {} };
}

const INFO = 20;
const ERROR = 40;
const WARNING = 30;

/** The next state and the Prefect calls for one event. `traceId` comes from the message headers. */
export function decide(current: RunState, event: Envelope, ctx: DecideContext, traceId?: string): Decision {
  const state: RunState = { ...current, tasks: { ...current.tasks }, lastEventTime: event.time };
  const actions: PrefectAction[] = [];

  if (event.type === 'run.requested') {
    if (state.requested) return { state, actions }; // a re-published request changes nothing
    const data = event.data as EventData<'run.requested'>;
    state.requested = data;
    state.traceId = traceId;
    const month = data.months[0];
    const deployment = data.stopAfter === 'ingest' ? 'data-download' : 'homework-complete-solution';
    actions.push({
      kind: 'openFlowRun',
      deployment,
      existingFlowRunId: data.origin.prefectFlowRunId,
      name: event.subject,
      parameters: { year: month?.year, month: month?.month, taxi_type: data.taxi },
      log: { level: INFO, message: `Pipeline run ${event.subject} requested (origin ${data.origin.kind}): ${describeMonths(data)}; stop after ${data.stopAfter}.` },
    });
    return { state, actions };
  }
  // Without its request the run cannot be mirrored (no deployment, no flow run); an ended run stays ended.
  if (!state.requested || state.ended) return { state, actions };

  switch (event.type) {
    case 'stage.started': {
      const { stage, attempt } = event.data as EventData<'stage.started'>;
      const task = taskOfStage[stage];
      if (state.tasks[task] === undefined) {
        start(state, actions, task, `${task} started (stage ${stage}, attempt ${attempt}).`);
      }
      break;
    }
    case 'data.downloaded': {
      const data = event.data as EventData<'data.downloaded'>;
      state.downloaded = data;
      const rows = data.files.reduce((sum, file) => sum + file.rows, 0);
      finishTask(state, actions, 'download', `Downloaded ${data.files.length} file(s): ${formatInt(rows)} rows in ${seconds(data.durationMs)}.`);
      if (state.requested.stopAfter === 'ingest' && state.completed) finishRun(state, actions, ctx);
      break;
    }
    case 'features.ready': {
      const data = event.data as EventData<'features.ready'>;
      state.features = data;
      finishTask(state, actions, 'features', `Prepared ${formatInt(data.rowsKept)} of ${formatInt(data.rowsRead)} rows, ${data.nFeatures} features, in ${seconds(data.durationMs)}.`);
      break;
    }
    case 'model.trained': {
      const data = event.data as EventData<'model.trained'>;
      state.trained = data;
      finishTask(state, actions, 'train', `Trained: intercept ${data.intercept}, RMSE ${data.rmseTrain}, model ${formatInt(data.modelSizeBytes)} bytes, in ${seconds(data.durationMs)}.`);
      // Tracking begins as soon as the model exists; a later stage.started(track) changes nothing.
      if (ctx.waitForTracking && state.tasks.track === undefined) start(state, actions, 'track', 'track started (recording the run in MLflow).');
      if (!ctx.waitForTracking && state.completed) finishRun(state, actions, ctx);
      break;
    }
    case 'model.tracked': {
      const data = event.data as EventData<'model.tracked'>;
      state.tracked = data;
      finishTask(state, actions, 'track', `Tracked in MLflow: experiment ${data.experimentName}, run ${data.mlflowRunId}${data.modelVersion ? `, model version ${data.modelVersion}` : ''}.`);
      if (state.completed) finishRun(state, actions, ctx);
      break;
    }
    case 'run.completed': {
      state.completed = event.data as EventData<'run.completed'>;
      if (readyToComplete(state, ctx)) finishRun(state, actions, ctx);
      break;
    }
    case 'run.failed': {
      const data = event.data as EventData<'run.failed'>;
      const task = taskOfStage[data.stage];
      const message = `${data.stage} failed (${data.code}): ${data.message}`;
      if (state.tasks[task] === undefined) start(state, actions, task);
      endTask(state, actions, task, 'FAILED', message, { level: ERROR, message });
      endOpenTasks(state, actions, 'CANCELLED', 'The run failed in another stage.');
      state.ended = 'FAILED';
      actions.push({ kind: 'endFlowRun', type: 'FAILED', message, log: { level: ERROR, message: `Run failed: ${message}` } });
      break;
    }
    case 'run.cancelled': {
      const data = event.data as EventData<'run.cancelled'>;
      const message = `Cancelled${data.by ? ` by ${data.by}` : ''}${data.reason ? `: ${data.reason}` : ''}.`;
      endOpenTasks(state, actions, 'CANCELLED', message);
      state.ended = 'CANCELLED';
      actions.push({ kind: 'endFlowRun', type: 'CANCELLED', message, log: { level: WARNING, message } });
      break;
    }
  }
  return { state, actions };
}

/** No pipeline event for too long: the pipeline lost the run (a service died with it). */
export function decideTimeout(current: RunState, minutes: number): Decision {
  const state: RunState = { ...current, tasks: { ...current.tasks } };
  const actions: PrefectAction[] = [];
  if (!state.requested || state.ended) return { state, actions };
  const message = `No pipeline event for ${minutes} min: the run is considered lost.`;
  endOpenTasks(state, actions, 'CRASHED', message);
  state.ended = 'CRASHED';
  actions.push({ kind: 'endFlowRun', type: 'CRASHED', message, log: { level: ERROR, message } });
  return { state, actions };
}

function readyToComplete(state: RunState, ctx: DecideContext): boolean {
  if (!state.completed) return false;
  if (state.requested?.stopAfter === 'ingest') return true;
  return !ctx.waitForTracking || state.tracked !== undefined;
}

function finishRun(state: RunState, actions: PrefectAction[], ctx: DecideContext): void {
  if (state.ended || !readyToComplete(state, ctx)) return;
  endOpenTasks(state, actions, 'COMPLETED', 'The run completed.');
  if (state.requested?.stopAfter === 'ingest') {
    const report = dataDownloadReport(state, ctx);
    actions.push({ kind: 'artifact', key: 'data-download-report', description: 'Downloaded month: rows, bytes, checksum', markdown: report.markdown, log: { level: INFO, message: report.block } });
  } else {
    const report = answersReport(state, ctx);
    actions.push({ kind: 'artifact', key: 'homework-answers', description: 'Homework answers of this run', markdown: report.markdown, log: { level: INFO, message: report.block } });
  }
  state.ended = 'COMPLETED';
  actions.push({ kind: 'endFlowRun', type: 'COMPLETED', log: { level: INFO, message: 'Run completed.' } });
}

function start(state: RunState, actions: PrefectAction[], task: TaskName, message?: string): void {
  state.tasks[task] = 'running';
  actions.push({ kind: 'startTask', task, upstream: upstreamOf[task], log: message ? { level: INFO, message } : undefined });
}

/** Completes a task; a result without its stage.started (an older producer) still shows the task. */
function finishTask(state: RunState, actions: PrefectAction[], task: TaskName, message: string): void {
  const status = state.tasks[task];
  if (status !== undefined && status !== 'running') return;
  if (status === undefined) start(state, actions, task);
  endTask(state, actions, task, 'COMPLETED', undefined, { level: INFO, message });
}

const statusOfEnd: Record<TaskEnd, TaskStatus> = { COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', CRASHED: 'crashed' };

function endTask(state: RunState, actions: PrefectAction[], task: TaskName, type: TaskEnd, message?: string, log?: LogLine): void {
  state.tasks[task] = statusOfEnd[type];
  actions.push({ kind: 'endTask', task, type, message, log });
}

function endOpenTasks(state: RunState, actions: PrefectAction[], type: TaskEnd, message: string): void {
  for (const task of taskNames) {
    if (state.tasks[task] === 'running') endTask(state, actions, task, type, message);
  }
}

function describeMonths(data: EventData<'run.requested'>): string {
  return `${data.taxi} ${data.months.map(formatYearMonth).join(', ')}`;
}

export function formatInt(value: number): string {
  return value.toLocaleString('en-US');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
