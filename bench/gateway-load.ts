// Gateway load: POST /runs and GET /runs/:id throughput and latency with autocannon, against a
// gateway started in this process on 127.0.0.1 with real PostgreSQL and NATS (a throw-away database
// and namespace). Writes the "Gateway load" section of docs/benchmarks.md.
// Run: npx tsx bench/gateway-load.ts [--seconds 10] [--connections 16] [--no-docs]
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { connectBus, createLogger } from '@taxi-mlops/runtime';
import { GatewayConfig, startGateway } from '@taxi-mlops/gateway';
import { describeMachine } from './lib/machine';
import { writeDocsSection } from './lib/docs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    'no-docs': { type: 'boolean', default: false },
    'pg-admin-url': { type: 'string', default: process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    nats: { type: 'string', default: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
  },
});
const SECONDS = Number(args.seconds);
const loadAtStart = loadavg().map((n) => n.toFixed(1)).join(' / ');
const CONNECTIONS = Number(args.connections);

interface Figures {
  scenario: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
}

async function load(scenario: string, options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options });
  return {
    scenario,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: args['pg-admin-url'] });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const database = `gateway_bench_${randomBytes(5).toString('hex')}`;
await admin(`CREATE DATABASE ${database}`);
const databaseUrl = new URL(args['pg-admin-url']);
databaseUrl.pathname = `/${database}`;

const namespace = `bench${randomBytes(4).toString('hex')}`;
const logger = createLogger({ service: 'gateway-bench', level: 'warn' });
const gateway = await startGateway(
  GatewayConfig.parse({
    DATABASE_URL: databaseUrl.toString(),
    NATS_URL: args.nats,
    NATS_NAMESPACE: namespace,
    GATEWAY_PORT: '0',
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_RATE_LIMIT_MAX: String(1e9), // measure the gateway, not the limiter's 429s
  }),
  { logger, requestLogging: false },
);

const figures: Figures[] = [];
let projectionLine: string;
try {
  const post = await load('POST /runs', {
    url: `${gateway.url}/runs`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ taxi: 'yellow', year: 2023, month: 3 }),
  });
  figures.push(post);

  // Every accepted run also went through NATS to the projection: how long until it caught up.
  const caughtUpFrom = Date.now();
  const pool = new pg.Pool({ connectionString: databaseUrl.toString(), max: 1 });
  for (;;) {
    const { rows } = await pool.query<{ total: string; pending: string }>(
      'SELECT count(*) AS total, count(*) FILTER (WHERE event_count = 0) AS pending FROM runs',
    );
    if (rows[0]?.pending === '0') {
      projectionLine = `All ${rows[0].total} run.requested events were projected ${((Date.now() - caughtUpFrom) / 1000).toFixed(1)} s after the POST load ended.`;
      break;
    }
    if (Date.now() - caughtUpFrom > 120_000) {
      projectionLine = `The projection had not caught up 120 s after the POST load (${rows[0]?.pending} of ${rows[0]?.total} pending).`;
      break;
    }
    await sleep(200);
  }
  const { rows } = await pool.query<{ run_id: string }>('SELECT run_id FROM runs WHERE event_count > 0 LIMIT 1');
  await pool.end();

  figures.push(await load('GET /runs/:id', { url: `${gateway.url}/runs/${rows[0]?.run_id}` }));
  figures.push(await load('GET /runs?limit=20', { url: `${gateway.url}/runs?limit=20` }));
} finally {
  await gateway.stop();
  // The gateway closed its connection; a fresh one in the same namespace removes the streams.
  const cleanup = await connectBus({ servers: args.nats, name: 'gateway-bench', namespace, logger });
  await cleanup.deleteStreams();
  await cleanup.close();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}

const table = [
  '| scenario | req/s | p50 ms | p99 ms | max ms | requests | non-2xx | errors |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...figures.map((f) => `| ${f.scenario} | ${Math.round(f.requestsPerSecond)} | ${f.p50} | ${f.p99} | ${f.max} | ${f.total} | ${f.non2xx} | ${f.errors} |`),
].join('\n');
process.stdout.write(`${table}\n${projectionLine}\n`);

if (!args['no-docs']) {
  await writeDocsSection(
    'docs/benchmarks.md',
    'gateway-load',
    `## Gateway load

\`npx tsx bench/gateway-load.ts\`: autocannon, ${CONNECTIONS} connections, ${SECONDS} s per scenario, against the gateway
started in-process on 127.0.0.1 with real PostgreSQL 15 and nats-server (JetStream); rate limit off, request log off.
A POST inserts the run, publishes \`run.requested\` (JetStream ack awaited) and answers 202; the projection
consumes the same events in the same process meanwhile. Machine: ${describeMachine()}; load average at the
start ${loadAtStart} (other work on the machine shares the cores, so read the figures as a floor).

${table}

${projectionLine}`,
  );
}
