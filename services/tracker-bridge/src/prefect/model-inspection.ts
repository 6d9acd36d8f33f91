import { MlflowClient, metricRecord } from '@taxi-mlops/mlflow-client';

/**
 * The `model-inspection` deployment, run by the bridge itself: the newest run of an MLflow
 * experiment that logged a model, and its intercept, feature count and size (MLflow REST 2.0).
 */

export type Inspection =
  | { found: true; experimentName: string; experimentId: string; runId: string; runName?: string; startTime?: string; intercept?: number; nFeatures?: number; modelSizeBytes?: number; runUrl: string }
  | { found: false; experimentName: string; reason: string };

/** `uiUrl` is MLflow as a browser reaches it (for the run link); default the tracking URI. */
export async function inspectNewestModel(trackingUri: string, experimentName: string, uiUrl = trackingUri): Promise<Inspection> {
  const client = new MlflowClient({ trackingUri, timeoutMs: 15_000 });
  const experiment = await client.getExperimentByName(experimentName);
  if (!experiment) {
    return { found: false, experimentName, reason: `MLflow has no experiment named "${experimentName}" yet: no model has been trained and tracked.` };
  }
  const runs = await client.searchRuns({ experimentIds: [experiment.experiment_id], filter: '', maxResults: 50, orderBy: ['attributes.start_time DESC'] });
  // The newest run that recorded a model (runs of other kinds in the experiment are skipped).
  const run = runs.find((r) => r.data.metrics.some((m) => m.key === 'model_size_bytes' || m.key === 'intercept'));
  if (!run) return { found: false, experimentName, reason: `Experiment "${experimentName}" has ${runs.length} run(s) but none recorded a model yet.` };
  const metrics = metricRecord(run);
  return {
    found: true,
    experimentName,
    experimentId: experiment.experiment_id,
    runId: run.info.run_id,
    runName: run.info.run_name,
    startTime: run.info.start_time ? new Date(run.info.start_time).toISOString() : undefined,
    intercept: metrics.intercept,
    nFeatures: metrics.n_features,
    modelSizeBytes: metrics.model_size_bytes,
    runUrl: `${uiUrl.replace(/\/+$/, '')}/#/experiments/${experiment.experiment_id}/runs/${run.info.run_id}`,
  };
}

export function inspectionMarkdown(inspection: Inspection): string {
  if (!inspection.found) return [`# Model inspection: ${inspection.experimentName}`, '', `**No model yet.** ${inspection.reason}`, ''].join('\n');
  const value = (v: number | undefined, integer = false) => (v === undefined ? 'n/a' : integer ? Math.round(v).toLocaleString('en-US') : String(v));
  return [
    `# Model inspection: ${inspection.experimentName}`,
    '',
    `Newest model: MLflow run [${inspection.runName ?? inspection.runId}](${inspection.runUrl})${inspection.startTime ? `, started ${inspection.startTime}` : ''}.`,
    '',
    '| Metric | Value |',
    '|---|---|',
    `| Intercept | ${value(inspection.intercept)} |`,
    `| Feature count | ${value(inspection.nFeatures, true)} |`,
    `| Model size (bytes) | ${value(inspection.modelSizeBytes, true)} |`,
    '',
  ].join('\n');
}
