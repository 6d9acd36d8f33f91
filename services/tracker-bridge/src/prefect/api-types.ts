import { z } from 'zod';

/** The Prefect REST shapes the bridge reads (validated) and writes (typed; the server forbids unknown keys). */

export const stateTypes = ['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED', 'PAUSED', 'CANCELLING'] as const;
export const StateType = z.enum(stateTypes);
export type StateType = z.infer<typeof StateType>;

export const terminalStateTypes: ReadonlySet<StateType> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);

export const State = z.object({
  id: z.string().nullish(),
  type: StateType,
  name: z.string().nullish(),
  timestamp: z.string().nullish(),
  message: z.string().nullish(),
});
export type State = z.infer<typeof State>;

export const FlowRun = z.object({
  id: z.string(),
  name: z.string(),
  flow_id: z.string(),
  deployment_id: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  tags: z.array(z.string()).default([]),
  state: State.nullish(),
  auto_scheduled: z.boolean().nullish(),
  expected_start_time: z.string().nullish(),
  start_time: z.string().nullish(),
  end_time: z.string().nullish(),
  idempotency_key: z.string().nullish(),
});
export type FlowRun = z.infer<typeof FlowRun>;

export const TaskRun = z.object({
  id: z.string(),
  name: z.string(),
  flow_run_id: z.string().nullish(),
  task_key: z.string(),
  dynamic_key: z.string(),
  state: State.nullish(),
  task_inputs: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))).default({}),
  start_time: z.string().nullish(),
  end_time: z.string().nullish(),
  total_run_time: z.number().nullish(),
});
export type TaskRun = z.infer<typeof TaskRun>;

export const Flow = z.object({ id: z.string(), name: z.string() });
export type Flow = z.infer<typeof Flow>;

export const Deployment = z.object({
  id: z.string(),
  name: z.string(),
  flow_id: z.string(),
  status: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  parameter_openapi_schema: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).default([]),
  description: z.string().nullish(),
  last_polled: z.string().nullish(),
});
export type Deployment = z.infer<typeof Deployment>;

export const OrchestrationResult = z.object({
  status: z.enum(['ACCEPT', 'REJECT', 'ABORT', 'WAIT']),
  state: State.nullish(),
  details: z.object({ type: z.string(), reason: z.string().nullish(), delay_seconds: z.number().nullish() }).loose(),
});
export type OrchestrationResult = z.infer<typeof OrchestrationResult>;

export const Artifact = z.object({
  id: z.string(),
  key: z.string().nullish(),
  type: z.string().nullish(),
  data: z.unknown(),
  description: z.string().nullish(),
  flow_run_id: z.string().nullish(),
  task_run_id: z.string().nullish(),
});
export type Artifact = z.infer<typeof Artifact>;

export const Log = z.object({
  name: z.string(),
  level: z.number(),
  message: z.string(),
  timestamp: z.string(),
  flow_run_id: z.string().nullish(),
  task_run_id: z.string().nullish(),
});
export type Log = z.infer<typeof Log>;

export interface StateCreate {
  type: StateType;
  name?: string;
  message?: string;
}

export interface DeploymentScheduleCreate {
  schedule: { cron: string; timezone: string };
  active: boolean;
}

export interface DeploymentCreate {
  name: string;
  flow_id: string;
  paused: boolean;
  schedules: DeploymentScheduleCreate[];
  concurrency_limit: null;
  parameters: Record<string, unknown>;
  parameter_openapi_schema: Record<string, unknown>;
  enforce_parameter_schema: boolean;
  tags: string[];
  description: string;
  version: string;
  entrypoint: string;
  path: string;
  job_variables: Record<string, never>;
}

export interface DeploymentFlowRunCreate {
  state?: StateCreate;
  name?: string;
  parameters?: Record<string, unknown>;
  tags?: string[];
  labels?: Record<string, string>;
  idempotency_key?: string;
}

export interface TaskInput {
  input_type: 'task_run';
  id: string;
}

export interface TaskRunCreate {
  id: string;
  flow_run_id: string;
  task_key: string;
  dynamic_key: string;
  name: string;
  tags: string[];
  task_inputs: Record<string, TaskInput[]>;
  empirical_policy: { retries: 0 };
}

export interface LogCreate {
  name: string;
  level: number;
  message: string;
  timestamp: string;
  flow_run_id: string;
  task_run_id?: string | null;
}

export interface ArtifactCreate {
  key: string;
  type: 'markdown';
  description: string;
  data: string;
  flow_run_id: string;
  task_run_id?: string;
}
