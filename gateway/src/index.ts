export { buildApp, DEFAULT_BODY_LIMIT_BYTES } from './http/app';
export type { GatewayDeps } from './http/deps';
export { GatewayConfig } from './config';
export { startGateway, type RunningGateway, type StartOptions } from './gateway';
export { applyEvent, type AnyEnvelope } from './projection/apply';
export type { RunState, RunStatus } from './projection/run-state';
export { migrate } from './db/migrate';
