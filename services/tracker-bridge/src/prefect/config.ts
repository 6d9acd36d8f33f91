import { z } from 'zod';
import { withExample } from '@taxi-mlops/runtime';

const Cron = z
  .string()
  .trim()
  .regex(/^(\S+\s+){4}\S+$/, 'a 5-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC');

const Bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/**
 * Environment of the Prefect part. Spread into the service's schema or load alone with
 * `loadConfig(PrefectBridgeEnv)`.
 */
export const prefectBridgeEnv = {
  PREFECT_API_URL: withExample(z.url().default('http://127.0.0.1:4200/api'), 'http://127.0.0.1:4200/api'),
  PREFECT_API_AUTH_STRING: withExample(z.string().regex(/^[^:]+:.*$/, 'must be "user:password"').optional(), 'admin:secret'),
  /** How often scheduled runs (Quick Run) and in-flight runs (cancellation) are polled. */
  PREFECT_POLL_INTERVAL_MS: withExample(z.coerce.number().int().min(200).max(60_000).default(5000), '5000'),
  /** A run without any pipeline event for this long ends Crashed. */
  PREFECT_RUN_TIMEOUT_MINUTES: withExample(z.coerce.number().positive().default(60), '60'),
  /** Whether a training run waits for `model.tracked` (the MLflow part) before it completes. */
  PREFECT_WAIT_FOR_TRACKING: withExample(Bool.default(true), 'true'),
  /** Appended to the flow names, so parallel test suites on one server get their own deployments. */
  PREFECT_FLOW_SUFFIX: withExample(z.string().regex(/^[a-z0-9-]{1,40}$/, 'lowercase letters, digits and "-"').optional(), 't1234'),
  PREFECT_SCHEDULE_HOMEWORK: withExample(Cron.optional(), '0 9 3 * *'),
  PREFECT_SCHEDULE_DATA_DOWNLOAD: withExample(Cron.optional(), '0 6 2 * *'),
  PREFECT_SCHEDULE_MODEL_INSPECTION: withExample(Cron.optional(), '0 10 3 * *'),
  /** MLflow server, for the model-inspection deployment and run links. */
  MLFLOW_TRACKING_URI: withExample(z.url().optional(), 'http://127.0.0.1:5000'),
  /** MLflow as a browser reaches it, for links in artifacts; default MLFLOW_TRACKING_URI. */
  MLFLOW_UI_URL: withExample(z.url().optional(), 'http://localhost:5000'),
  /**
   * Default `experiment_name` of the model-inspection deployment: where the MLflow part's default
   * (`homework3-{taxi}-taxi`) records the deployments' default yellow run. It was
   * `nyc-taxi-experiment`, an experiment nothing in the project writes to.
   */
  MLFLOW_EXPERIMENT_NAME: withExample(z.string().min(1).default('homework3-yellow-taxi'), 'homework3-yellow-taxi'),
  /** Trace UI (Jaeger) base URL; the answers link to `<url>/trace/<trace id>`. */
  TRACE_UI_URL: withExample(z.url().optional(), 'http://127.0.0.1:16686'),
};

export const PrefectBridgeEnv = z.object(prefectBridgeEnv);
export type PrefectBridgeConfig = z.infer<typeof PrefectBridgeEnv>;
