import { RunRequestedData, type EventDataInput } from '@taxi-mlops/contracts';
import type { FlowRun } from './api-types';
import type { DeploymentKey } from './deployments';

/** The pipeline run id of a flow run started in Prefect: deterministic, so a re-publish is deduplicated. */
export function runIdForFlowRun(flowRunId: string): string {
  return `prefect-${flowRunId}`;
}

export type RunRequest =
  | { ok: true; runId: string; data: EventDataInput<'run.requested'> }
  | { ok: false; reason: string };

/**
 * The `run.requested` for a claimed flow run of a pipeline deployment. Runs created by a cron
 * schedule (auto_scheduled) train on the month before their scheduled time, like the original's
 * monthly schedule; other runs use their year/month/taxi_type parameters.
 */
export function runRequestForFlowRun(flowRun: FlowRun, deployment: Exclude<DeploymentKey, 'model-inspection'>): RunRequest {
  const params = flowRun.parameters;
  let year: unknown = params.year ?? 2023;
  let month: unknown = params.month ?? 3;
  const scheduled = flowRun.auto_scheduled === true && flowRun.expected_start_time;
  if (scheduled) {
    const at = new Date(flowRun.expected_start_time as string);
    const previous = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
    year = previous.getUTCFullYear();
    month = previous.getUTCMonth() + 1;
  }
  const data = {
    taxi: params.taxi_type ?? 'yellow',
    months: [{ year, month }],
    stopAfter: deployment === 'data-download' ? 'ingest' : 'train',
    origin: { kind: scheduled ? 'schedule' : 'prefect', prefectFlowRunId: flowRun.id, deployment },
  };
  const parsed = RunRequestedData.safeParse(data);
  if (!parsed.success) {
    const names: Record<string, string> = { taxi: 'taxi_type', 'months.0.year': 'year', 'months.0.month': 'month' };
    const reason = parsed.error.issues
      .map((issue) => {
        const path = issue.path.join('.');
        return `parameter ${names[path] ?? path}: ${issue.message}`;
      })
      .join('; ');
    return { ok: false, reason };
  }
  return { ok: true, runId: runIdForFlowRun(flowRun.id), data: parsed.data };
}
