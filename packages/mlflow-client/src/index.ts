export { MlflowClient, type DatasetInputSpec, type MetricPoint } from './client';
export { MlflowHttp, MlflowRequestError, MlflowUnavailableError, isMlflowErrorCode, type HttpOptions } from './http';
export { championModel, CHAMPION_ALIAS, type ChampionModel, type ChampionModelRequest } from './champion-model';
export * from './schemas';
