export { startPrefectBridge, type PrefectBridge, type PrefectBridgeDeps } from './bridge';
export { prefectBridgeEnv, PrefectBridgeEnv, type PrefectBridgeConfig } from './config';
export { PrefectClient, PrefectApiError, type PrefectClientOptions } from './client';
export { deploymentKeys, deploymentSpecs, type DeploymentKey } from './deployments';
export { decide, decideTimeout, initialRunState, type RunState, type PrefectAction, type DecideContext } from './decide';
export { answersReport, ANSWERS_MARKER, traceIdOf } from './answers';
export { runIdForFlowRun, runRequestForFlowRun } from './claim';
export { logStreamName } from './nats-feed';
