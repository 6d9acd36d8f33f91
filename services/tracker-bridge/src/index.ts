export * from './mlflow';
export * from './prefect';
export { bridgeEnv, BridgeConfig, prefectConfigOf } from './config';
