import { z } from 'zod';

/**
 * The parts of MLflow's REST responses the bridge reads. Responses leave out default or empty
 * fields (proto JSON), so most fields are optional and arrays default to empty.
 */
const KeyValue = z.object({ key: z.string(), value: z.string().default('') });
export type KeyValue = z.infer<typeof KeyValue>;

export const Experiment = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string().optional(),
  lifecycle_stage: z.string().optional(),
  tags: z.array(KeyValue).default([]),
});
export type Experiment = z.infer<typeof Experiment>;

const Metric = z.object({ key: z.string(), value: z.union([z.number(), z.string()]), timestamp: z.number().optional(), step: z.number().optional() });

const DatasetInput = z.object({
  tags: z.array(KeyValue).default([]),
  dataset: z.object({ name: z.string(), digest: z.string(), source_type: z.string().optional(), source: z.string().optional() }),
});

export const Run = z.object({
  info: z.object({
    run_id: z.string(),
    experiment_id: z.string(),
    run_name: z.string().optional(),
    status: z.string().optional(),
    start_time: z.number().optional(),
    end_time: z.number().optional(),
    artifact_uri: z.string().optional(),
    lifecycle_stage: z.string().optional(),
  }),
  data: z
    .object({
      metrics: z.array(Metric).default([]),
      params: z.array(KeyValue).default([]),
      tags: z.array(KeyValue).default([]),
    })
    .default({ metrics: [], params: [], tags: [] }),
  inputs: z.object({ dataset_inputs: z.array(DatasetInput).default([]) }).default({ dataset_inputs: [] }),
  outputs: z.object({ model_outputs: z.array(z.object({ model_id: z.string() })).default([]) }).default({ model_outputs: [] }),
});
export type Run = z.infer<typeof Run>;

export const LoggedModel = z.object({
  info: z.object({
    model_id: z.string(),
    experiment_id: z.string().optional(),
    name: z.string().optional(),
    artifact_uri: z.string(),
    status: z.string().optional(),
    source_run_id: z.string().optional(),
    tags: z.array(KeyValue).default([]),
  }),
});
export type LoggedModel = z.infer<typeof LoggedModel>;

export const ModelVersion = z.object({
  name: z.string(),
  version: z.string(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  model_id: z.string().optional(),
  status: z.string().optional(),
  tags: z.array(KeyValue).default([]),
  aliases: z.array(z.string()).default([]),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

export const ArtifactFile = z.object({ path: z.string(), is_dir: z.boolean().default(false), file_size: z.number().optional() });
export type ArtifactFile = z.infer<typeof ArtifactFile>;

/** Tag list → record (the last value wins, as MLflow keeps one value per key). */
export function tagRecord(tags: readonly KeyValue[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.key, tag.value]));
}

/** A run's latest metric values; MLflow sends NaN/Infinity as strings. */
export function metricRecord(run: Run): Record<string, number> {
  return Object.fromEntries(run.data.metrics.map((metric) => [metric.key, Number(metric.value)]));
}
