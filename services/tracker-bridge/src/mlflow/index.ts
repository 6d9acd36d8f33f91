export { startMlflowTracker, type MlflowTracker, type MlflowTrackerOptions } from './tracker';
export { MlflowTrackerConfig, mlflowEnv } from './config';
export { CHAMPION_ALIAS, decideChampion, type ChampionDecision } from './champion-rule';
export {
  buildTrainingRunRecord,
  answersMarkdown,
  experimentNameFor,
  localPathOf,
  RUN_ID_TAG,
  TRACKED_TAG,
  TRACE_ID_TAG,
  PREFECT_FLOW_RUN_TAG,
  type TrainingRunEvents,
  type TrainingRunRecord,
  type RecordOptions,
} from './run-record';
export { recordTrainingRun, type RecordResult } from './record-run';
export { readTrainingRunEvents } from './run-events';
export { predictedVsActualSvg } from './plot';
