import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '@taxi-mlops/runtime';
import type { RunningGateway } from '../src/gateway';
import { lastPublished, streamMessageCount, type TestDatabase, openGatewayTestEnv, closeGatewayTestEnv } from './support';

interface ProblemBody {
  type: string;
  status: number;
  detail: string;
  errors?: { field: string; reason: string }[];
}

void describe('POST /runs validation', () => {
  let db: TestDatabase;
  let gateway: RunningGateway;
  let bus: Bus;
  const thisYear = new Date().getUTCFullYear();

  before(async () => {
    ({ db, gateway, bus } = await openGatewayTestEnv({ env: { GATEWAY_BODY_LIMIT_BYTES: '1024' } }));
  });
  after(() => closeGatewayTestEnv({ db, gateway, bus }));

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    gateway.app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

  /** Asserts a problem+json with `status` whose errors name `field` with a reason matching `reason`. */
  function assertProblem(response: Awaited<ReturnType<typeof post>>, status: number, field: string, reason: RegExp): void {
    assert.equal(response.statusCode, status, response.body);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const problem = response.json<ProblemBody>();
    assert.equal(problem.status, status);
    const named = problem.errors?.find((error) => error.field === field);
    assert.ok(named, `expected an error naming ${field}, got ${JSON.stringify(problem.errors)}`);
    assert.match(named.reason, reason);
    assert.match(problem.detail, new RegExp(field.replace('.', '\\.')));
  }

  const cases: { name: string; body: unknown; field: string; reason: RegExp }[] = [
    { name: 'unknown taxi type', body: { taxi: 'blue', year: 2023, month: 3 }, field: 'taxi', reason: /unknown taxi type "blue"/ },
    { name: 'missing taxi', body: { year: 2023, month: 3 }, field: 'taxi', reason: /required/ },
    { name: 'month before 2009-01 (year)', body: { taxi: 'yellow', year: 2008, month: 12 }, field: 'year', reason: /2008-12 is before 2009-01/ },
    { name: 'month before 2009-01 (range)', body: { taxi: 'green', from: '2008-11', to: '2009-02' }, field: 'from', reason: /before 2009-01/ },
    { name: 'month in the future (year)', body: { taxi: 'yellow', year: thisYear + 1, month: 1 }, field: 'year', reason: /in the future/ },
    { name: 'validation month in the future', body: { taxi: 'yellow', year: 2023, month: 3, validation: `${thisYear + 2}-01` }, field: 'validation', reason: /in the future/ },
    { name: 'month 13', body: { taxi: 'yellow', year: 2023, month: 13 }, field: 'month', reason: /1-12/ },
    { name: 'malformed YYYY-MM', body: { taxi: 'yellow', from: '2023-3', to: '2023-04' }, field: 'from', reason: /YYYY-MM/ },
    { name: 'relative source path', body: { taxi: 'yellow', year: 2023, month: 3, source: 'data/file.parquet' }, field: 'source', reason: /absolute path/ },
    { name: 'unsupported source scheme', body: { taxi: 'yellow', year: 2023, month: 3, source: 'ftp://host/file.parquet' }, field: 'source', reason: /scheme ftp/ },
    { name: 'source for a range', body: { taxi: 'yellow', from: '2023-01', to: '2023-02', source: '/data/a.parquet' }, field: 'source', reason: /one-month/ },
    { name: 'unknown field', body: { taxi: 'yellow', year: 2023, month: 3, colour: 'red' }, field: 'colour', reason: /unknown field/ },
    { name: 'unknown nested field', body: { taxi: 'yellow', year: 2023, month: 3, validation: { year: 2023, month: 4, day: 1 } }, field: 'validation.day', reason: /unknown field/ },
    { name: 'from after to', body: { taxi: 'green', from: '2023-05', to: '2023-02' }, field: 'from', reason: /2023-05 is after to 2023-02/ },
    { name: 'from without to', body: { taxi: 'green', from: '2023-05' }, field: 'to', reason: /required with from/ },
    { name: 'both a month and a range', body: { taxi: 'green', year: 2023, month: 1, from: '2023-01', to: '2023-02' }, field: 'from', reason: /not both/ },
    { name: 'no month at all', body: { taxi: 'green' }, field: 'year', reason: /required/ },
    { name: 'wrong type', body: { taxi: 'green', year: '2023', month: 1 }, field: 'year', reason: /number/ },
    { name: 'stopAfter', body: { taxi: 'green', year: 2023, month: 1, stopAfter: 'features' }, field: 'stopAfter', reason: /ingest.*train/ },
    { name: 'invalid JSON', body: '{"taxi": "green",', field: '(body)', reason: /JSON/ },
  ];
  for (const { name, body, field, reason } of cases) {
    void it(`400 names the field: ${name}`, async () => {
      assertProblem(await post(body), 400, field, reason);
    });
  }

  void it('413 problem+json when the body is over the size limit', async () => {
    const response = await post({ taxi: 'yellow', year: 2023, month: 3, source: `/data/${'x'.repeat(2000)}.parquet` });
    assertProblem(response, 413, '(body)', /larger than 1024 bytes/);
  });

  void it('415 problem+json for a body that is not JSON', async () => {
    const response = await gateway.app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': 'text/plain' }, payload: 'taxi=yellow' });
    assert.equal(response.statusCode, 415);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  });

  void it('no rejected request reached the bus', async () => {
    assert.equal(await streamMessageCount(bus), 0);
  });

  void it('accepts the three source forms and a range with a validation month', async () => {
    for (const source of ['https://example.org/yellow_tripdata_2023-03.parquet', 'file:///data/yellow.parquet', '/data/yellow.parquet']) {
      const response = await post({ taxi: 'yellow', year: 2023, month: 3, source });
      assert.equal(response.statusCode, 202, `${source}: ${response.body}`);
    }
    const range = await post({ taxi: 'green', from: { year: 2022, month: 11 }, to: '2023-02', validation: '2023-03', stopAfter: 'ingest' });
    assert.equal(range.statusCode, 202, range.body);
    const { runId } = range.json<{ runId: string }>();
    const event = await lastPublished(bus, 'run.requested', runId);
    assert.ok(event?.type === 'run.requested');
    assert.deepEqual(event.data.months, [
      { year: 2022, month: 11 },
      { year: 2022, month: 12 },
      { year: 2023, month: 1 },
      { year: 2023, month: 2 },
    ]);
    assert.deepEqual(event.data.validation, { year: 2023, month: 3 });
    assert.equal(event.data.stopAfter, 'ingest');
  });

  void it('400 for a malformed run id in the path', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/runs/not.a.run' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<ProblemBody>().errors?.[0]?.field, 'id');
  });

  void it('400 for bad paging parameters', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['status=done', 'status'],
      ['cursor=bogus', 'cursor'],
      ['cursor=x&offset=3', 'offset'],
      ['sort=asc', 'sort'],
    ] as const) {
      const response = await gateway.app.inject({ method: 'GET', url: `/runs?${query}` });
      assert.equal(response.statusCode, 400, `${query}: ${response.body}`);
      assert.ok(response.json<ProblemBody>().errors?.some((error) => error.field === field), `${query}: ${response.body}`);
    }
  });
});

void describe('bearer token', () => {
  let db: TestDatabase;
  let gateway: RunningGateway;
  let bus: Bus;
  const token = 'test-token-0123456789abcdef';

  before(async () => {
    ({ db, gateway, bus } = await openGatewayTestEnv({ env: { GATEWAY_API_TOKEN: token } }));
  });
  after(() => closeGatewayTestEnv({ db, gateway, bus }));

  const body = JSON.stringify({ taxi: 'yellow', year: 2023, month: 3 });

  void it('401 problem+json without a token or with a wrong one, and nothing is published', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${token}`, `Bearer ${token}x`]) {
      const response = await gateway.app.inject({
        method: 'POST',
        url: '/runs',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        payload: body,
      });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.match(String(response.headers['www-authenticate']), /^Bearer/);
    }
    const runs = await gateway.app.inject({ method: 'GET', url: '/runs' });
    assert.deepEqual(runs.json<{ items: unknown[] }>().items, [], 'no run was recorded');
    assert.equal(await streamMessageCount(bus), 0, 'no run.requested was published');
  });

  void it('401 on cancel too; reads stay open', async () => {
    const cancel = await gateway.app.inject({ method: 'POST', url: '/runs/some-run/cancel' });
    assert.equal(cancel.statusCode, 401);
    const list = await gateway.app.inject({ method: 'GET', url: '/runs' });
    assert.equal(list.statusCode, 200);
  });

  void it('202 with the right token', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/runs',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      payload: body,
    });
    assert.equal(response.statusCode, 202, response.body);
    assert.equal(await streamMessageCount(bus), 1);
  });
});
