// The model-inspection deployment must default to an experiment the MLflow part actually writes to.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@taxi-mlops/runtime';
import { BridgeConfig, prefectConfigOf } from '../src/config';
import { PrefectBridgeEnv } from '../src/prefect/config';
import { MlflowTrackerConfig } from '../src/mlflow/config';
import { experimentNameFor } from '../src/mlflow/run-record';

/** The one variable without a default (the MLflow part's artifact base). */
const required = { ARTIFACT_ROOT: '/data' };

void describe('tracker-bridge config: model-inspection reads the MLflow part’s experiment', () => {
  void it('with only the required variable, the bridge, and the Prefect part alone, inspect where the default yellow run is recorded', () => {
    const yellowExperiment = experimentNameFor(loadConfig(MlflowTrackerConfig, required).MLFLOW_EXPERIMENT_NAME, 'yellow');
    assert.equal(prefectConfigOf(loadConfig(BridgeConfig, required)).MLFLOW_EXPERIMENT_NAME, yellowExperiment);
    assert.equal(loadConfig(PrefectBridgeEnv, {}).MLFLOW_EXPERIMENT_NAME, yellowExperiment);
  });

  void it('a custom pattern is followed, with {taxi} = yellow', () => {
    const config = loadConfig(BridgeConfig, { ...required, MLFLOW_EXPERIMENT_NAME: 'team-{taxi}-runs' });
    assert.equal(prefectConfigOf(config).MLFLOW_EXPERIMENT_NAME, 'team-yellow-runs');
  });
});
