// Test support: a throw-away database, a random NATS namespace, a gateway started for real, and a
// bus to publish events as the services would. Nothing is mocked.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createEvent, subjectFor, type EventDataInput, type EventType } from '@taxi-mlops/contracts';
import { connectBus, createLogger, type Bus } from '@taxi-mlops/runtime';
import { GatewayConfig } from '../src/config';
import { startGateway, type RunningGateway } from '../src/gateway';
import type { GatewayDeps } from '../src/http/deps';
import type { AnyEnvelope } from '../src/projection/apply';

export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new database `gateway_test_<random>`; `drop` removes it even with connections left open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gateway_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`); // the name is ours, not user input
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function randomNamespace(): string {
  return `gw${randomBytes(5).toString('hex')}`;
}

export const silentLogger = createLogger({ service: 'gateway-test', level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent' });

export interface TestEnv {
  databaseUrl: string;
  namespace: string;
  env?: Record<string, string>;
  overrides?: Partial<GatewayDeps>;
}

/** The gateway as main.ts starts it, on 127.0.0.1 and a free port. */
export function startTestGateway({ databaseUrl, namespace, env = {}, overrides }: TestEnv): Promise<RunningGateway> {
  const config = GatewayConfig.parse({
    DATABASE_URL: databaseUrl,
    NATS_URL,
    NATS_NAMESPACE: namespace,
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    ...env,
  });
  return startGateway(config, { logger: silentLogger, requestLogging: false, ...(overrides ? { overrides } : {}) });
}

/** A bus in the namespace, to publish events as the services do and to read what the gateway published. */
export async function testBus(namespace: string): Promise<Bus> {
  const bus = await connectBus({ servers: NATS_URL, name: 'gateway-test', namespace, logger: silentLogger });
  await bus.ensureStreams();
  return bus;
}

/** The last message stored on `pipeline.<type>.<runId>`, parsed; undefined when there is none. */
export async function lastPublished(bus: Bus, type: EventType, runId: string): Promise<AnyEnvelope | undefined> {
  try {
    const message = await bus.jsm.streams.getMessage(bus.names.stream, { last_by_subj: bus.names.subject(subjectFor(type, runId)) });
    return message ? message.json<AnyEnvelope>() : undefined;
  } catch {
    return undefined; // "no message found"
  }
}

export async function streamMessageCount(bus: Bus): Promise<number> {
  return (await bus.jsm.streams.info(bus.names.stream)).state.messages;
}

/** An event as a service would emit it, at a chosen time so durations are known. */
export function eventAt<T extends EventType>(type: T, runId: string, data: EventDataInput<T>, time: string, source = `/services/${type.split('.')[0]}`) {
  return { ...createEvent(type, runId, data, source), time };
}

/** Publishes events in order, each with its own message id (as a retrying service would not). */
export async function publishAll(bus: Bus, events: AnyEnvelope[]): Promise<void> {
  for (const event of events) await bus.publish(event, { msgId: event.id });
}

/** Polls until `check` returns a value (not undefined); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface RunDetailBody {
  runId: string;
  status: string;
  eventCount: number;
  [key: string]: unknown;
}

/** Waits until GET /runs/:id satisfies `done`. */
export function waitForRun(gateway: RunningGateway, runId: string, what: string, done: (run: RunDetailBody) => boolean): Promise<RunDetailBody> {
  return waitFor(what, async () => {
    const response = await gateway.app.inject({ method: 'GET', url: `/runs/${runId}` });
    if (response.statusCode !== 200) return undefined;
    const run = response.json<RunDetailBody>();
    return done(run) ? run : undefined;
  });
}

export const sha = (char: string) => char.repeat(64);
export const newRunId = () => `test-${randomUUID()}`;

/** The events of a whole successful homework run after run.requested, one minute apart from t0. */
export function successfulRunEvents(runId: string, t0 = Date.parse('2026-01-10T10:00:00Z')) {
  const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
  const file = { year: 2023, month: 3, uri: 'file:///data/taxi-data/yellow_tripdata_2023-03.parquet', sha256: sha('a'), bytes: 56_127_762, rows: 3_403_766, sourceUrl: 'https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-03.parquet' };
  const answers = { rows_loaded: 3_403_766, rows_prepared: 3_316_216, n_features: 519, intercept: 24.77, rmse_train: 8.16, rmse_val: null, model_size_bytes: 4_534, model_dir: '/data/models/run/model' };
  return [
    eventAt('stage.started', runId, { stage: 'ingest', attempt: 1 }, at(1)),
    eventAt('data.downloaded', runId, { taxi: 'yellow', files: [file], durationMs: 3_900 }, at(5)),
    eventAt('stage.started', runId, { stage: 'features', attempt: 1 }, at(6)),
    eventAt('features.ready', runId, { taxi: 'yellow', months: [{ year: 2023, month: 3, statsUri: 'file:///data/pipeline-data/stats.arrow', sha256: sha('b'), rowsRead: 3_403_766, rowsKept: 3_316_216 }], rowsRead: 3_403_766, rowsKept: 3_316_216, nFeatures: 519, durationMs: 9_800 }, at(16)),
    eventAt('stage.started', runId, { stage: 'train', attempt: 1 }, at(17)),
    eventAt('model.trained', runId, { modelUri: 'file:///data/models/run/model', intercept: 24.77, rmseTrain: 8.16, rmseVal: null, nFeatures: 519, modelSizeBytes: 4_534, rowsTrain: 3_316_216, solver: 'exact-min-norm', durationMs: 29_500 }, at(47)),
    eventAt('stage.started', runId, { stage: 'track', attempt: 1 }, at(48)),
    eventAt('model.tracked', runId, { mlflowRunId: 'f00dfeed', experimentId: '7', experimentName: 'nyc-taxi', registeredModel: 'nyc-taxi-duration', modelVersion: '3', champion: true, durationMs: 1_500 }, at(50)),
    eventAt('run.completed', runId, { answers }, at(51)),
  ] as AnyEnvelope[];
}

export interface GatewayTestEnv {
  db: TestDatabase;
  gateway: RunningGateway;
  bus: Bus;
}

/** A throw-away database and namespace, the gateway on them, and a bus to publish as the services would. */
export async function openGatewayTestEnv(options: Omit<TestEnv, 'databaseUrl' | 'namespace'> = {}): Promise<GatewayTestEnv> {
  const db = await createTestDatabase();
  const namespace = randomNamespace();
  const gateway = await startTestGateway({ databaseUrl: db.url, namespace, ...options });
  const bus = await testBus(namespace);
  return { db, gateway, bus };
}

/** Stops and removes what openGatewayTestEnv made (whatever of it was made). */
export async function closeGatewayTestEnv(env: Partial<GatewayTestEnv>): Promise<void> {
  await env.gateway?.stop();
  await env.bus?.deleteStreams();
  await env.bus?.close();
  await env.db?.drop();
}
