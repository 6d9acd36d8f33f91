import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Bus } from '@taxi-mlops/runtime';
import { buildApp } from '../src/http/app';
import { createPool } from '../src/db/pool';
import { RunEventFeed } from '../src/sse/run-event-feed';
import type { RunningGateway } from '../src/gateway';
import { type TestDatabase, openGatewayTestEnv, closeGatewayTestEnv } from './support';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

void describe('health and readiness', () => {
  let db: TestDatabase;
  let gateway: RunningGateway;
  let bus: Bus;

  before(async () => {
    ({ db, gateway, bus } = await openGatewayTestEnv());
  });
  after(() => closeGatewayTestEnv({ db, gateway, bus }));

  void it('/healthz and /readyz answer 200 when PostgreSQL and NATS are reachable', async () => {
    assert.equal((await gateway.app.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await gateway.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.deepEqual(ready.json<{ checks: unknown }>().checks, { postgres: 'ok', nats: 'ok' });
  });

  void it('/readyz answers 503 problem+json when PostgreSQL is unreachable; /healthz stays 200', async () => {
    const pool = createPool(`postgres://postgres@127.0.0.1:${await closedPort()}/nothing`);
    const app = await buildApp({
      pool,
      bus,
      feed: new RunEventFeed('postgres://unused'),
      readiness: {
        postgres: async () => {
          await pool.query('SELECT 1');
        },
        nats: async () => {
          await bus.jsm.streams.info(bus.names.stream);
        },
      },
    });
    try {
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503, ready.body);
      assert.match(String(ready.headers['content-type']), /^application\/problem\+json/);
      const body = ready.json<{ checks: Record<string, string>; detail: string }>();
      assert.equal(body.checks.nats, 'ok');
      assert.match(body.checks.postgres ?? '', /^unreachable/);
      assert.match(body.detail, /postgres/);
      assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    } finally {
      await app.close();
      await pool.end();
    }
  });

  void it('429 problem+json past the rate limit', async () => {
    const pool = createPool(db.url, 1);
    const app = await buildApp({ pool, bus, feed: new RunEventFeed('postgres://unused'), readiness: {}, rateLimit: { max: 2, timeWindowMs: 60_000 } });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url: '/healthz' })).statusCode);
      assert.deepEqual(statuses, [200, 200, 429]);
      const limited = await app.inject({ url: '/healthz' });
      assert.match(String(limited.headers['content-type']), /^application\/problem\+json/);
      assert.ok(limited.headers['retry-after']);
    } finally {
      await app.close();
      await pool.end();
    }
  });

  void it('serves the OpenAPI document and the docs UI with security headers', async () => {
    const json = await gateway.app.inject({ url: '/docs/json' });
    assert.equal(json.statusCode, 200);
    const document = json.json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.match(document.openapi, /^3\./);
    for (const path of ['/runs', '/runs/{id}', '/runs/{id}/cancel', '/runs/{id}/events', '/readyz']) assert.ok(document.paths[path], path);

    const ui = await gateway.app.inject({ url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(String(ui.headers['content-type']), /text\/html/);
    assert.ok(ui.headers['content-security-policy'], 'helmet CSP present');
    assert.equal(ui.headers['x-content-type-options'], 'nosniff');
  });
});
