import { z } from 'zod';
import { withExample } from '@taxi-mlops/runtime';
import { mlflowEnv } from './mlflow';
import { prefectBridgeEnv, type PrefectBridgeConfig } from './prefect';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .default('true')
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * The bridge's own variables: both parts' (the MLflow part's definitions of the shared MLflow
 * variables win, so both parts talk to one server and one experiment pattern) plus a switch
 * for the Prefect part.
 */
export const bridgeEnv = {
  ...prefectBridgeEnv,
  ...mlflowEnv,
  PREFECT_ENABLED: withExample(flag, 'true'),
};
export const BridgeConfig = z.object(bridgeEnv);
export type BridgeConfig = z.infer<typeof BridgeConfig>;

/** The Prefect part's view: model-inspection reads the experiment the MLflow part writes to. */
export function prefectConfigOf(config: BridgeConfig): PrefectBridgeConfig {
  return {
    ...config,
    MLFLOW_TRACKING_URI: config.MLFLOW_ENABLED ? config.MLFLOW_TRACKING_URI : undefined,
    MLFLOW_EXPERIMENT_NAME: config.MLFLOW_EXPERIMENT_NAME.replaceAll('{taxi}', 'yellow'),
  };
}
