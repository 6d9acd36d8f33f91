import { z } from 'zod';

/** Exit code for a configuration error (EX_CONFIG from sysexits.h). */
export const CONFIG_EXIT_CODE = 78;

/** Thrown by `loadConfig`; `message` is the single line printed before exiting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly variables: string[],
  ) {
    super(message);
  }
}

/** Attaches the example value that a config error prints: `withExample(z.url(), 'http://x')`. */
export function withExample<S extends z.ZodType>(schema: S, example: string): S {
  return schema.meta({ examples: [example] });
}

/** NATS namespaces prefix subjects and stream names, so they must be one subject token. */
const Namespace = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, "_" or "-"');

/** Variables every service reads. Spread into your own schema: `z.object({ ...commonEnv, DATA_DIR: ... })`. */
export const commonEnv = {
  NATS_URL: withExample(z.string().min(1).default('nats://127.0.0.1:4222'), 'nats://127.0.0.1:4222'),
  NATS_NAMESPACE: withExample(Namespace.optional(), 't123'),
  LOG_LEVEL: withExample(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), 'info'),
  SERVICE_INSTANCE_ID: withExample(z.string().min(1).optional(), 'ingest-1'),
  /** Serve OpenTelemetry metrics for Prometheus at http://<host>:<port>/metrics; off when unset. */
  METRICS_PORT: withExample(z.coerce.number().int().min(1).max(65_535).optional(), '9464'),
};

export const CommonConfig = z.object(commonEnv);
export type CommonConfig = z.infer<typeof CommonConfig>;

type Env = Record<string, string | undefined>;

/**
 * Reads the variables described by `schema` from `env`. An empty value counts as missing
 * (compose writes `FOO=` for an unset `${FOO}`). Throws a ConfigError whose message is one line
 * naming each bad variable, what is wrong and an example value.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const input: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;

  const problems = new Map<string, string>();
  for (const issue of result.error.issues) {
    const variable = String(issue.path[0] ?? '(config)');
    if (problems.has(variable)) continue;
    const what = input[variable] === undefined ? 'is missing' : `is invalid: ${issue.message}`;
    const example = exampleFor(schema.shape[variable]);
    problems.set(variable, `${variable} ${what}${example ? ` (example: ${example})` : ''}`);
  }
  throw new ConfigError(`config: ${[...problems.values()].join('; ')}`, [...problems.keys()]);
}

function exampleFor(field: unknown): string | undefined {
  if (!(field instanceof z.ZodType)) return undefined;
  const examples = field.meta()?.examples;
  return Array.isArray(examples) && examples.length > 0 ? String(examples[0]) : undefined;
}
