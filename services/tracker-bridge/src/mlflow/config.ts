import { z } from 'zod';
import { withExample } from '@taxi-mlops/runtime';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('true')
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** Environment of the MLflow part; spread into the bridge's schema: `z.object({ ...commonEnv, ...mlflowEnv })`. */
export const mlflowEnv = {
  MLFLOW_ENABLED: withExample(flag, 'true'),
  MLFLOW_TRACKING_URI: withExample(z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:5000'), 'http://127.0.0.1:5000'),
  /** `{taxi}` becomes yellow or green. */
  MLFLOW_EXPERIMENT_NAME: withExample(z.string().min(1).max(500).default('homework3-{taxi}-taxi'), 'homework3-{taxi}-taxi'),
  /** MLflow as a browser reaches it, for run links (in compose the tracking URI is an internal name). Default: the tracking URI. */
  MLFLOW_UI_URL: withExample(z.url({ protocol: /^https?$/ }).optional(), 'http://localhost:5000'),
  MLFLOW_REGISTERED_MODEL: withExample(z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, 'letters, digits, "_", "." or "-"').default('nyc-taxi-duration'), 'nyc-taxi-duration'),
  MLFLOW_USER: withExample(z.string().min(1).default('taxi-mlops'), 'taxi-mlops'),
  /** Relative artifact URIs in events (model directory, statistics) are resolved against this folder. */
  // Required, like the stage services': every process must resolve artifact URIs against the same root.
  ARTIFACT_ROOT: withExample(z.string().min(1), '/data'),
  /** Where championModel() caches downloaded champion models. */
  MLFLOW_MODEL_CACHE_DIR: withExample(z.string().min(1).default('data/mlflow-model-cache'), '/data/mlflow-model-cache'),
};

export const MlflowTrackerConfig = z.object(mlflowEnv);
export type MlflowTrackerConfig = z.infer<typeof MlflowTrackerConfig>;
