// `npm run watch -w @taxi-mlops/gateway -- <runId> [--json]`: prints a run's events straight from
// NATS (past ones first, then live), one line each, and exits after the terminal event.
// Without this tool: `nats sub 'pipeline.*.*.<runId>'` (prefix the namespace when NATS_NAMESPACE is set).
import { formatYearMonth, RunId } from '@taxi-mlops/contracts';
import { CommonConfig, ConfigError, CONFIG_EXIT_CODE, connectBus, createLogger, loadConfig } from '@taxi-mlops/runtime';
import type { AnyEnvelope } from './projection/apply';

const args = process.argv.slice(2);
const json = args.includes('--json');
const runId = args.find((arg) => !arg.startsWith('--'));
if (!runId || !RunId.safeParse(runId).success) {
  process.stderr.write('usage: watch <runId> [--json]   (run id: 1-64 letters, digits, "_" or "-")\n');
  process.exit(2);
}

let config: CommonConfig;
try {
  config = loadConfig(CommonConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`watch: ${error.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}

/** What a person wants to see of each event on one line. */
function describeEvent(event: AnyEnvelope): string {
  switch (event.type) {
    case 'run.requested': {
      const months = event.data.months.map(formatYearMonth);
      return `${event.data.taxi} ${months.length > 1 ? `${months[0]}..${months.at(-1)}` : months[0]} (from ${event.data.origin.kind})`;
    }
    case 'stage.started':
      return `${event.data.stage} attempt ${event.data.attempt}`;
    case 'data.downloaded':
      return `${event.data.files.length} file(s), ${event.data.files.reduce((n, f) => n + f.rows, 0)} rows in ${event.data.durationMs} ms`;
    case 'features.ready':
      return `${event.data.rowsKept}/${event.data.rowsRead} rows kept, ${event.data.nFeatures} features in ${event.data.durationMs} ms`;
    case 'model.trained':
      return `rmse train ${event.data.rmseTrain}, val ${event.data.rmseVal ?? '-'}, intercept ${event.data.intercept} in ${event.data.durationMs} ms`;
    case 'model.tracked':
      return `MLflow run ${event.data.mlflowRunId}${event.data.modelVersion ? `, model version ${event.data.modelVersion}` : ''}`;
    case 'run.completed':
      return event.data.answers ? JSON.stringify(event.data.answers) : 'done';
    case 'run.failed':
      return `${event.data.stage}: ${event.data.code}: ${event.data.message}`;
    case 'run.cancelled':
      return `${event.data.reason ?? ''}${event.data.by ? ` (by ${event.data.by})` : ''}`.trim();
    case 'run.mirrored':
      return `Prefect flow run ${event.data.prefectFlowRunId} (${event.data.deployment})`;
  }
}

const bus = await connectBus({
  servers: config.NATS_URL,
  name: 'gateway-watch',
  logger: createLogger({ service: 'gateway-watch', level: 'warn' }),
  ...(config.NATS_NAMESPACE ? { namespace: config.NATS_NAMESPACE } : {}),
});
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
try {
  for await (const event of bus.followRun(runId, { signal: stop.signal })) {
    process.stdout.write(json ? `${JSON.stringify(event)}\n` : `${event.time}  ${event.type.padEnd(15)} ${describeEvent(event as AnyEnvelope)}\n`);
  }
} finally {
  await bus.close();
}
