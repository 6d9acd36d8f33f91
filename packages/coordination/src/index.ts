export { lastRunEvent, isCancelled, emitOnce, emitStageStarted, type EmitOnceResult } from './run-log';
export { WorkLeases, leaseBucketName, type LeaseOptions, type WithLeaseOptions } from './lease';
export { PIPELINE_STREAM_OPTIONS } from './stream-settings';
export { stageEnv, intEnv } from './stage-env';
