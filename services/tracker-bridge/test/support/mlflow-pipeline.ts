import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subjectFor, type Envelope, type EventType } from '@taxi-mlops/contracts';
import { connectBus, createLogger, type Bus } from '@taxi-mlops/runtime';
import { MlflowTrackerConfig } from '../../src/mlflow/config';
import { pipelineEvents, type FixtureRun } from './mlflow-fixtures';
import { uniqueSuffix } from './mlflow-server';

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A bus on a random namespace, so this test's streams and consumers are its own. */
export async function testBus(): Promise<Bus> {
  const bus = await connectBus({
    servers: NATS_URL,
    name: 'tracker-bridge',
    namespace: `mlf${uniqueSuffix()}`,
    logger: createLogger({ service: 'tracker-bridge', level: (process.env['LOG_LEVEL'] as 'info' | undefined) ?? 'error' }),
  });
  await bus.ensureStreams();
  return bus;
}

/** Config with an experiment and registered model of this test only. */
export async function testConfig(trackingUri: string): Promise<MlflowTrackerConfig> {
  const suffix = uniqueSuffix();
  return MlflowTrackerConfig.parse({
    MLFLOW_TRACKING_URI: trackingUri,
    MLFLOW_EXPERIMENT_NAME: `homework3-{taxi}-taxi-${suffix}`,
    MLFLOW_REGISTERED_MODEL: `nyc-taxi-duration-${suffix}`,
    ARTIFACT_ROOT: '/',
    MLFLOW_MODEL_CACHE_DIR: await mkdtemp(join(tmpdir(), 'mlflow-cache-')),
  });
}

/** Publishes the run's events as ingest, features and trainer would. */
export async function publishRun(bus: Bus, run: FixtureRun): Promise<void> {
  for (const event of pipelineEvents(run)) await bus.publish(event);
}

/** The first event of `type` of the run, waiting for it (rejects after timeoutMs). */
export async function waitForEvent<T extends EventType>(bus: Bus, runId: string, type: T, timeoutMs = 120_000): Promise<Envelope<T>> {
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const event of bus.followRun(runId, { untilTerminal: false, signal })) {
    if (event.type === type) return event as Envelope<T>;
  }
  throw new Error(`no ${type} event for run ${runId} within ${timeoutMs} ms`);
}

/** How many events of `type` the run has in the stream. */
export async function countEvents(bus: Bus, runId: string, type: EventType): Promise<number> {
  const subject = bus.names.subject(subjectFor(type, runId));
  const info = await bus.jsm.streams.info(bus.names.stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/** Waits until the durable consumer has delivered and settled everything. */
export async function waitUntilSettled(bus: Bus, durable: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await bus.jsm.consumers.info(bus.names.stream, durable);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (Date.now() > deadline) throw new Error(`consumer ${durable}: ${info.num_pending} pending, ${info.num_ack_pending} unacked after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
