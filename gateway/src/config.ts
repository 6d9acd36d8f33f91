import { z } from 'zod';
import { commonEnv, withExample } from '@taxi-mlops/runtime';

const port = z.coerce.number().int().min(0).max(65_535);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const GatewayConfig = z.object({
  ...commonEnv,
  GATEWAY_PORT: withExample(port.default(8080), '8080'),
  GATEWAY_HOST: withExample(z.string().min(1).default('0.0.0.0'), '127.0.0.1'),
  DATABASE_URL: withExample(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'), 'postgres://postgres@127.0.0.1:5432/taxi_gateway'),
  /** When set, POST routes need `Authorization: Bearer <token>`. */
  GATEWAY_API_TOKEN: withExample(z.string().min(16, 'must be at least 16 characters').optional(), 'a-long-random-secret'),
  GATEWAY_RATE_LIMIT_MAX: withExample(z.coerce.number().int().min(1).default(1000), '1000'),
  GATEWAY_RATE_LIMIT_WINDOW_MS: withExample(z.coerce.number().int().min(1000).default(60_000), '60000'),
  GATEWAY_BODY_LIMIT_BYTES: withExample(z.coerce.number().int().min(256).default(16 * 1024), '16384'),
  /** Durable consumer of the projection; one name for every gateway replica (they share the work). */
  GATEWAY_PROJECTION_DURABLE: withExample(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('gateway--projection'), 'gateway--projection'),
  PREFECT_UI_URL: withExample(httpUrl.optional(), 'http://127.0.0.1:4200'),
  MLFLOW_UI_URL: withExample(httpUrl.optional(), 'http://127.0.0.1:5000'),
  JAEGER_UI_URL: withExample(httpUrl.optional(), 'http://127.0.0.1:16686'),
  /** MLflow server whose registry champion POST /predict serves; predictions are off when unset. */
  MLFLOW_TRACKING_URI: withExample(httpUrl.optional(), 'http://127.0.0.1:5000'),
  MLFLOW_REGISTERED_MODEL: withExample(z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/).default('nyc-taxi-duration'), 'nyc-taxi-duration'),
  PREDICT_MODEL_CACHE_DIR: withExample(z.string().min(1).default('data/gateway-model-cache'), '/data/gateway-model-cache'),
  /** How often the champion alias is checked for a new version. */
  PREDICT_REFRESH_MS: withExample(z.coerce.number().int().min(0).default(10_000), '10000'),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
