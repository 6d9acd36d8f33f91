import type { DeploymentCreate } from './api-types';

/** The three deployments of the original homework, as served deployments (no work pool). */
export const deploymentKeys = ['homework-complete-solution', 'data-download', 'model-inspection'] as const;
export type DeploymentKey = (typeof deploymentKeys)[number];

export interface DeploymentSpec {
  key: DeploymentKey;
  flowName: string;
  description: string;
  tags: string[];
  parameters: Record<string, unknown>;
  parameterSchema: Record<string, unknown>;
  entrypoint: string;
}

export interface DeploymentOptions {
  flowSuffix?: string;
  experimentName: string;
  schedules: Partial<Record<DeploymentKey, string>>;
  version: string;
}

/** Parameters shown in the UI's Custom Run form; every one has a default, so Quick Run runs at once. */
const monthSchema = {
  title: 'Parameters',
  type: 'object',
  properties: {
    year: { title: 'year', description: 'Year of the trip data to train on', type: 'integer', minimum: 2009, maximum: 2100, default: 2023, position: 0 },
    month: { title: 'month', description: 'Month of the trip data (1-12)', type: 'integer', minimum: 1, maximum: 12, default: 3, position: 1 },
    taxi_type: { title: 'taxi_type', description: 'TLC taxi type', type: 'string', enum: ['yellow', 'green'], default: 'yellow', position: 2 },
  },
  required: [],
};

export function deploymentSpecs(options: DeploymentOptions): DeploymentSpec[] {
  const suffix = options.flowSuffix ? `-${options.flowSuffix}` : '';
  const monthDefaults = { year: 2023, month: 3, taxi_type: 'yellow' };
  return [
    {
      key: 'homework-complete-solution',
      flowName: `nyc-taxi-duration-training${suffix}`,
      description:
        'Full homework pipeline: download the TLC month (ingest), filter 1-60 min trips and one-hot PU/DO (features), ' +
        'fit the linear regression (trainer), record it in MLflow (track). Event-driven over NATS; mirrored here by the tracker-bridge.',
      tags: ['homework', 'training', 'nyc-taxi', 'tracker-bridge'],
      parameters: monthDefaults,
      parameterSchema: monthSchema,
      entrypoint: 'services/tracker-bridge/src/prefect/deployments.ts:homeworkCompleteSolution',
    },
    {
      key: 'data-download',
      flowName: `nyc-taxi-data-download${suffix}`,
      description: 'Ingest only: download and cache one month of TLC trip data, report its rows and checksum, and stop.',
      tags: ['ingest', 'nyc-taxi', 'tracker-bridge'],
      parameters: monthDefaults,
      parameterSchema: monthSchema,
      entrypoint: 'services/tracker-bridge/src/prefect/deployments.ts:dataDownload',
    },
    {
      key: 'model-inspection',
      flowName: `nyc-taxi-model-inspection${suffix}`,
      description: 'Reads the newest model of an MLflow experiment and reports its intercept, feature count and size.',
      tags: ['mlflow', 'inspection', 'tracker-bridge'],
      parameters: { experiment_name: options.experimentName },
      parameterSchema: {
        title: 'Parameters',
        type: 'object',
        properties: {
          experiment_name: { title: 'experiment_name', description: 'MLflow experiment to inspect', type: 'string', default: options.experimentName, position: 0 },
        },
        required: [],
      },
      entrypoint: 'services/tracker-bridge/src/prefect/model-inspection.ts:inspectNewestModel',
    },
  ];
}

export function deploymentBody(spec: DeploymentSpec, flowId: string, options: DeploymentOptions): DeploymentCreate {
  const cron = options.schedules[spec.key];
  return {
    name: spec.key,
    flow_id: flowId,
    paused: false,
    schedules: cron ? [{ schedule: { cron, timezone: 'UTC' }, active: true }] : [],
    concurrency_limit: null, // a limit would make RUNNING wait for slots (AwaitingConcurrencySlot)
    parameters: spec.parameters,
    parameter_openapi_schema: spec.parameterSchema,
    enforce_parameter_schema: true,
    tags: spec.tags,
    description: spec.description,
    version: options.version,
    entrypoint: spec.entrypoint,
    path: '.',
    job_variables: {},
  };
}
