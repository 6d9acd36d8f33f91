// The e2e stack plus the real tracker-bridge (Prefect and/or MLflow part) as a child process, on
// the real Prefect and MLflow servers. Every name the bridge writes is unique to the test file:
// the Prefect flow suffix, the MLflow experiment pattern and the registered model.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrefectServer } from '../../../services/tracker-bridge/test/support/prefect';
import { startMlflowServer, uniqueSuffix } from '../../../services/tracker-bridge/test/support/mlflow-server';
import { spawnTrackerBridge } from '../support-trace';
import type { ServiceProcess } from './processes';
import { E2EStack, type StackOptions } from './stack';

export interface TrackedStackOptions extends StackOptions {
  /** Start the bridge's Prefect part (and the Prefect server). */
  prefect: boolean;
  /** The gateway serves POST /predict from this test's registered model. */
  predict?: boolean;
}

export interface TrackedStack {
  stack: E2EStack;
  bridge: ServiceProcess;
  trackingUri: string;
  /** Prefect API URL ('' without the Prefect part). */
  prefectApiUrl: string;
  /** PREFECT_FLOW_SUFFIX: the flows are `nyc-taxi-duration-training-<suffix>`, … */
  flowSuffix: string;
  /** MLFLOW_EXPERIMENT_NAME as the bridge gets it, with `{taxi}`. */
  experimentPattern: string;
  registeredModel: string;
  stop(): Promise<void>;
}

export async function startTrackedStack(options: TrackedStackOptions): Promise<TrackedStack> {
  const suffix = uniqueSuffix();
  const flowSuffix = `e2e-${suffix}`.toLowerCase();
  const experimentPattern = `e2e-{taxi}-${suffix}`;
  const registeredModel = `e2e-duration-${suffix}`;
  const [trackingUri, prefectApiUrl] = await Promise.all([startMlflowServer(), options.prefect ? ensurePrefectServer() : Promise.resolve('')]);
  const cacheDir = await mkdtemp(join(tmpdir(), 'taxi-e2e-model-cache-'));
  const predictEnv: Record<string, string> = options.predict
    ? { MLFLOW_TRACKING_URI: trackingUri, MLFLOW_REGISTERED_MODEL: registeredModel, PREDICT_MODEL_CACHE_DIR: join(cacheDir, 'gateway'), PREDICT_REFRESH_MS: '0' }
    : {};
  const stack = new E2EStack({ ...options, serviceEnv: { ...options.serviceEnv, gateway: { ...options.serviceEnv?.gateway, ...predictEnv } } });
  await stack.start();
  const bridge = spawnTrackerBridge({
    ...stack.env('ingest'), // NATS, namespace, ARTIFACT_ROOT: what every service shares
    MLFLOW_TRACKING_URI: trackingUri,
    MLFLOW_EXPERIMENT_NAME: experimentPattern,
    MLFLOW_REGISTERED_MODEL: registeredModel,
    MLFLOW_MODEL_CACHE_DIR: join(cacheDir, 'bridge'),
    PREFECT_ENABLED: String(options.prefect),
    ...(options.prefect ? { PREFECT_API_URL: prefectApiUrl, PREFECT_FLOW_SUFFIX: flowSuffix, PREFECT_POLL_INTERVAL_MS: '500' } : {}),
  });
  await bridge.waitForLine((line) => line.msg === 'started', 'started');
  if (options.prefect) await bridge.waitForLine((line) => line.msg === 'prefect bridge ready', 'prefect bridge ready', 120_000);
  return {
    stack,
    bridge,
    trackingUri,
    prefectApiUrl,
    flowSuffix,
    experimentPattern,
    registeredModel,
    async stop() {
      await bridge.stop();
      await stack.stop();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}
