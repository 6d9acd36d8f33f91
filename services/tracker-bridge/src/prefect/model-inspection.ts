import { z } from 'zod';

/**
 * The `model-inspection` deployment, run by the bridge itself: the newest run of an MLflow
 * experiment that logged a model, and its intercept, feature count and size (MLflow REST 2.0).
 */

export type Inspection =
  | { found: true; experimentName: string; experimentId: string; runId: string; runName?: string; startTime?: string; intercept?: number; nFeatures?: number; modelSizeBytes?: number; runUrl: string }
  | { found: false; experimentName: string; reason: string };

const Experiment = z.object({ experiment: z.object({ experiment_id: z.string(), name: z.string() }) });
const Runs = z.object({
  runs: z
    .array(
      z.object({
        info: z.object({ run_id: z.string(), run_name: z.string().optional(), start_time: z.coerce.number().optional() }),
        data: z.object({ metrics: z.array(z.object({ key: z.string(), value: z.number() })).default([]) }).default({ metrics: [] }),
      }),
    )
    .default([]),
});

/** `uiUrl` is MLflow as a browser reaches it (for the run link); default the tracking URI. */
export async function inspectNewestModel(trackingUri: string, experimentName: string, uiUrl = trackingUri): Promise<Inspection> {
  const base = trackingUri.replace(/\/+$/, '');
  const experimentResponse = await fetch(`${base}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`, {
    signal: AbortSignal.timeout(15_000),
  });
  if (experimentResponse.status === 404) {
    await experimentResponse.body?.cancel();
    return { found: false, experimentName, reason: `MLflow has no experiment named "${experimentName}" yet: no model has been trained and tracked.` };
  }
  if (!experimentResponse.ok) throw new Error(`MLflow experiments/get-by-name: HTTP ${experimentResponse.status}: ${(await experimentResponse.text()).slice(0, 300)}`);
  const experiment = Experiment.parse(await experimentResponse.json()).experiment;

  const runsResponse = await fetch(`${base}/api/2.0/mlflow/runs/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ experiment_ids: [experiment.experiment_id], order_by: ['attributes.start_time DESC'], max_results: 50 }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!runsResponse.ok) throw new Error(`MLflow runs/search: HTTP ${runsResponse.status}: ${(await runsResponse.text()).slice(0, 300)}`);
  const runs = Runs.parse(await runsResponse.json()).runs;
  // The newest run that recorded a model (runs of other kinds in the experiment are skipped).
  const run = runs.find((r) => r.data.metrics.some((m) => m.key === 'model_size_bytes' || m.key === 'intercept'));
  if (!run) return { found: false, experimentName, reason: `Experiment "${experimentName}" has ${runs.length} run(s) but none recorded a model yet.` };
  const metric = (key: string) => run.data.metrics.find((m) => m.key === key)?.value;
  return {
    found: true,
    experimentName,
    experimentId: experiment.experiment_id,
    runId: run.info.run_id,
    runName: run.info.run_name,
    startTime: run.info.start_time ? new Date(run.info.start_time).toISOString() : undefined,
    intercept: metric('intercept'),
    nFeatures: metric('n_features'),
    modelSizeBytes: metric('model_size_bytes'),
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
