import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope, EventDataInput, EventType } from '@taxi-mlops/contracts';
import { connectBus, createLogger, loadConfig, type Bus, type Logger } from '@taxi-mlops/runtime';
import { PrefectBridgeEnv, type PrefectBridgeConfig } from '../../src/prefect/config';
import type { PrefectClient } from '../../src/prefect/client';
import { startPrefectBridge, type PrefectBridge } from '../../src/prefect/bridge';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Starts (or finds) the Prefect server through the project's script; returns the API URL. */
export async function ensurePrefectServer(env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('bash', ['scripts/prefect-server.sh', 'start'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  return stdout.trim().split('\n').at(-1)!;
}

export async function stopPrefectServer(env: Record<string, string> = {}): Promise<void> {
  await run('bash', ['scripts/prefect-server.sh', 'stop'], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 });
}

export function testNamespace(): string {
  return `pf${randomBytes(4).toString('hex')}`;
}

export const quietLogger: Logger = createLogger({ service: 'prefect-test', level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });

/** A bus on the local NATS with its own namespace, the pipeline streams and the log stream. */
export async function connectTestBus(namespace: string, name = 'prefect-test'): Promise<Bus> {
  const bus = await connectBus({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name, namespace, logger: quietLogger });
  await bus.ensureStreams(); // the pipeline, dead-letter and service-log streams
  return bus;
}

export async function deleteTestStreams(bus: Bus): Promise<void> {
  await bus.deleteStreams();
}

export function testConfig(apiUrl: string, namespace: string, overrides: Record<string, string> = {}): PrefectBridgeConfig {
  return loadConfig(PrefectBridgeEnv, {
    PREFECT_API_URL: apiUrl,
    PREFECT_POLL_INTERVAL_MS: '500',
    PREFECT_FLOW_SUFFIX: namespace.toLowerCase(),
    ...overrides,
  });
}

export async function startTestBridge(bus: Bus, config: PrefectBridgeConfig, durable?: string): Promise<PrefectBridge> {
  const bridge = startPrefectBridge({ bus, logger: quietLogger, config, durable });
  await bridge.ready;
  return bridge;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** Publishes an event as a pipeline service would (stage events carry their own message id). */
export async function emit<T extends EventType>(bus: Bus, type: T, runId: string, data: EventDataInput<T>, discriminator?: string): Promise<Envelope<T>> {
  const msgId = discriminator ? `${runId}:${type}:${discriminator}` : undefined;
  return (await bus.emit(type, runId, data, msgId ? { msgId } : undefined)).event;
}

/** Every event of a run currently in the stream. */
export async function runEvents(bus: Bus, runId: string): Promise<Envelope[]> {
  const events: Envelope[] = [];
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 1500);
  try {
    for await (const event of bus.followRun(runId, { untilTerminal: false, signal: controller.signal })) events.push(event);
  } finally {
    clearTimeout(timer);
  }
  return events;
}

export const SHA = 'a'.repeat(64);

/** The homework's numbers, as the services would report them. */
export const homework = { rowsRead: 3_403_766, rowsKept: 3_316_216, nFeatures: 518, intercept: 24.77, rmseTrain: 7.649, modelSizeBytes: 4_534 };

/** Plays the ingest → features → trainer (→ MLflow) services for one run, with small gaps so durations are > 0. */
export async function playPipeline(bus: Bus, runId: string, options: { upTo?: 'ingest' | 'train' | 'track'; gapMs?: number } = {}): Promise<void> {
  const gap = () => sleep(options.gapMs ?? 150);
  const upTo = options.upTo ?? 'track';
  await emit(bus, 'stage.started', runId, { stage: 'ingest', attempt: 1 }, 'ingest:1');
  await gap();
  await emit(bus, 'data.downloaded', runId, {
    taxi: 'yellow',
    files: [{ year: 2023, month: 3, uri: 'file:///data/yellow_tripdata_2023-03.parquet', sha256: SHA, bytes: 56_127_762, rows: homework.rowsRead, sourceUrl: 'https://example/yellow_tripdata_2023-03.parquet' }],
    durationMs: 1200,
  });
  if (upTo === 'ingest') {
    await emit(bus, 'run.completed', runId, {});
    return;
  }
  await emit(bus, 'stage.started', runId, { stage: 'features', attempt: 1 }, 'features:1');
  await gap();
  await emit(bus, 'features.ready', runId, {
    taxi: 'yellow',
    months: [{ year: 2023, month: 3, statsUri: 'file:///data/stats.arrow', sha256: SHA, rowsRead: homework.rowsRead, rowsKept: homework.rowsKept }],
    rowsRead: homework.rowsRead,
    rowsKept: homework.rowsKept,
    nFeatures: homework.nFeatures,
    durationMs: 2500,
  });
  await emit(bus, 'stage.started', runId, { stage: 'train', attempt: 1 }, 'train:1');
  await gap();
  await emit(bus, 'model.trained', runId, {
    modelUri: 'file:///data/models/m1',
    intercept: homework.intercept,
    rmseTrain: homework.rmseTrain,
    rmseVal: null,
    nFeatures: homework.nFeatures,
    modelSizeBytes: homework.modelSizeBytes,
    rowsTrain: homework.rowsKept,
    solver: 'exact-min-norm',
    durationMs: 900,
  });
  await emit(bus, 'run.completed', runId, {
    answers: {
      rows_loaded: homework.rowsRead,
      rows_prepared: homework.rowsKept,
      n_features: homework.nFeatures,
      intercept: homework.intercept,
      rmse_train: homework.rmseTrain,
      rmse_val: null,
      model_size_bytes: homework.modelSizeBytes,
      model_dir: '/data/models/m1',
    },
  });
  if (upTo === 'train') return;
  await emit(bus, 'stage.started', runId, { stage: 'track', attempt: 1 }, 'track:1');
  await gap();
  await emit(bus, 'model.tracked', runId, {
    mlflowRunId: 'abc123',
    experimentId: '1',
    experimentName: 'nyc-taxi-experiment',
    registeredModel: 'nyc-taxi-duration',
    modelVersion: '1',
    champion: true,
    runUrl: 'http://127.0.0.1:5000/#/experiments/1/runs/abc123',
    durationMs: 300,
  });
}

/** The flow run's task runs, oldest first. */
export async function taskRunsOf(client: PrefectClient, flowRunId: string) {
  return client.filterTaskRuns({ flow_runs: { id: { any_: [flowRunId] } }, sort: 'EXPECTED_START_TIME_ASC', limit: 50 });
}

export async function flowRunState(client: PrefectClient, flowRunId: string) {
  return (await client.readFlowRun(flowRunId)).state;
}
