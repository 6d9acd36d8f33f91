// One pipeline for a test file: a random NATS namespace, a fresh PostgreSQL database, a temporary
// ARTIFACT_ROOT, the local TLC server, and the gateway and stage services as child processes.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { subjectFor, terminalEventTypes, type Envelope, type EventType } from '@taxi-mlops/contracts';
import { connectBus, createLogger, type Bus } from '@taxi-mlops/runtime';
import { leaseBucketName, lastRunEvent } from '@taxi-mlops/coordination';
import { spawnService, started, type LogLine, type ServiceName, type ServiceProcess } from './processes';
import { startTlcServer, type TlcServer } from './tlc-server';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
export const PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface StackOptions {
  realDataDir: string;
  /** Start the gateway and its database (default true; the service tests go without). */
  gateway?: boolean;
  /** Instances of each stage service started with the stack (default 1 each). */
  instances?: Partial<Record<Exclude<ServiceName, 'gateway'>, number>>;
  /** Extra variables for every process (e.g. short ack waits) … */
  env?: Record<string, string>;
  /** … and for one kind of process (e.g. TRAINER_TEST_DELAY_MS). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
}

export class E2EStack {
  readonly namespace = `e2e${randomBytes(5).toString('hex')}`;
  readonly services: ServiceProcess[] = [];
  gateway: ServiceProcess | undefined;
  gatewayUrl = '';
  artifactRoot = '';
  databaseUrl = '';
  bus!: Bus;
  tlc!: TlcServer;
  private databaseName = `e2e_${randomBytes(6).toString('hex')}`;
  private counter = 0;

  constructor(private readonly options: StackOptions) {}

  /** Variables every process gets: the shared bus namespace, artifact root and mirror. */
  env(name: ServiceName, extra: Record<string, string> = {}): Record<string, string> {
    return {
      NATS_URL,
      NATS_NAMESPACE: this.namespace,
      LOG_LEVEL: 'info',
      ARTIFACT_ROOT: this.artifactRoot,
      TLC_BASE_URL: this.tlc.baseUrl,
      ...(this.databaseUrl ? { DATABASE_URL: this.databaseUrl } : {}),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      LEASE_TTL_MS: '3000',
      ...this.options.env,
      ...this.options.serviceEnv?.[name],
      ...extra,
    };
  }

  async start(): Promise<this> {
    this.artifactRoot = await mkdtemp(join(tmpdir(), 'taxi-e2e-'));
    this.tlc = await startTlcServer(this.options.realDataDir);
    const withGateway = this.options.gateway ?? true;
    if (withGateway) {
      await adminQuery(`CREATE DATABASE ${this.databaseName}`);
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${this.databaseName}`;
      this.databaseUrl = url.toString();
    }
    this.bus = await connectBus({ servers: NATS_URL, name: 'e2e-test', namespace: this.namespace, logger: createLogger({ service: 'e2e', level: 'silent' }) });
    await this.bus.ensureStreams();
    if (withGateway) await this.startGateway();
    const starting: Array<Promise<ServiceProcess>> = [];
    for (const name of ['ingest', 'features', 'trainer'] as const) {
      for (let i = 0; i < (this.options.instances?.[name] ?? 1); i++) starting.push(this.startService(name));
    }
    await Promise.all(starting);
    return this;
  }

  async startService(name: Exclude<ServiceName, 'gateway'>, extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const label = `${name}-${++this.counter}`;
    const service = spawnService(name, label, this.env(name, { SERVICE_INSTANCE_ID: label, ...extra }));
    this.services.push(service);
    return started(service);
  }

  async startGateway(): Promise<void> {
    const gateway = spawnService('gateway', `gateway-${++this.counter}`, this.env('gateway'));
    this.gateway = gateway;
    const listening = await gateway.waitForLine((line) => line.msg === 'gateway listening', 'gateway listening');
    this.gatewayUrl = String(listening.url);
    await started(gateway);
  }

  async stopGateway(): Promise<void> {
    const exit = await this.gateway?.stop('SIGTERM');
    if (exit && exit.code !== 0) throw new Error(`gateway exited with ${exit.code ?? exit.signal}: ${this.gateway?.stderr().slice(-1000)}`);
    this.gateway = undefined;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services, ...(this.gateway ? [this.gateway] : [])].map((service) => service.stop('SIGTERM')));
    if (this.bus) {
      await this.bus.jsm.streams.delete(`KV_${leaseBucketName(this.bus)}`).catch(() => false);
      await this.bus.deleteStreams();
      await this.bus.close(0);
    }
    await this.tlc?.close();
    if (this.databaseUrl) await adminQuery(`DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`).catch(() => undefined);
    if (this.artifactRoot) await rm(this.artifactRoot, { recursive: true, force: true });
  }

  /** A request to the gateway; the body is sent as JSON unless it is a string. */
  async http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${this.gatewayUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async postRun(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
    const { status, json } = await this.http('POST', '/runs', body, headers);
    if (status !== 202) throw new Error(`POST /runs ${JSON.stringify(body)} → ${status} ${JSON.stringify(json)}`);
    return String(json.runId);
  }

  /** Polls GET /runs/:id until the run has a terminal status. */
  async getRun(runId: string): Promise<RunView> {
    const { status, json } = await this.http('GET', `/runs/${runId}`);
    if (status !== 200) throw new Error(`GET /runs/${runId}: HTTP ${status} ${JSON.stringify(json)}`);
    return json as unknown as RunView;
  }

  async waitForFinishedRun(runId: string, timeoutMs = 120_000): Promise<RunView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let status = 0;
      let json: Record<string, unknown> = {};
      try {
        ({ status, json } = await this.http('GET', `/runs/${runId}`));
      } catch {
        // the gateway is restarting: ask again
      }
      if (status === 200 && ['completed', 'failed', 'cancelled'].includes(String(json.status))) return json as unknown as RunView;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within ${timeoutMs} ms; last: ${JSON.stringify(json)}`);
      await sleep(200);
    }
  }

  /** Messages stored on `pipeline.<type>.<runId>`. */
  async countEvents(type: EventType, runId: string): Promise<number> {
    const subject = this.bus.names.subject(subjectFor(type, runId));
    const info = await this.bus.jsm.streams.info(this.bus.names.stream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  /** The run's events in stream order, up to its terminal event. */
  async runEvents(runId: string, timeoutMs = 120_000): Promise<Envelope[]> {
    const events: Envelope[] = [];
    for await (const event of this.bus.followRun(runId, { signal: AbortSignal.timeout(timeoutMs) })) events.push(event);
    return events;
  }

  /** Resolves with the first event of the run matching `predicate` (stored or to come). */
  async waitForEvent(runId: string, predicate: (event: Envelope) => boolean, timeoutMs = 120_000): Promise<Envelope> {
    for await (const event of this.bus.followRun(runId, { untilTerminal: false, signal: AbortSignal.timeout(timeoutMs) })) {
      if (predicate(event)) return event;
    }
    throw new Error(`run ${runId}: no matching event within ${timeoutMs} ms`);
  }

  /** Waits until the services together logged `count` lines matching `predicate`; returns them. */
  async waitForLogLines(predicate: (line: LogLine) => boolean, count: number, timeoutMs = 30_000): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.services.flatMap((service) => service.lines.filter(predicate));
      if (lines.length >= count) return lines;
      if (Date.now() > deadline) throw new Error(`only ${lines.length} of ${count} log lines within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  lastEvent<T extends EventType>(type: T, runId: string) {
    return lastRunEvent(this.bus, type, runId);
  }

  isTerminal(event: Envelope): boolean {
    return terminalEventTypes.has(event.type);
  }
}

export interface RunView {
  runId: string;
  status: string;
  answers: Record<string, number | string | null> | null;
  error: { stage: string; code: string; message: string } | null;
  results: Record<string, Record<string, unknown> | undefined>;
  stages: Array<{ name: string; status: string; attempt: number }>;
  eventCount: number;
  prefectFlowRunId: string | null;
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

export interface SseMessage {
  id: string;
  event: string;
  data: Envelope;
}

/** Reads GET /runs/:id/events until the server ends the stream (after the terminal event). */
export async function readSse(url: string, signal: AbortSignal): Promise<SseMessage[]> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal });
  if (response.status !== 200 || !response.body) throw new Error(`SSE ${url}: HTTP ${response.status}`);
  const messages: SseMessage[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue; // comments (": ping") and bare lines
        fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
      }
      const data = fields.get('data');
      if (data !== undefined) messages.push({ id: fields.get('id') ?? '', event: fields.get('event') ?? 'message', data: JSON.parse(data) as Envelope });
    }
  }
  return messages;
}
