import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '@taxi-mlops/runtime';
import type { RunningGateway } from '../src/gateway';
import { eventAt, lastPublished, newRunId, publishAll, successfulRunEvents, waitForRun, type TestDatabase, openGatewayTestEnv, closeGatewayTestEnv } from './support';

interface Accepted {
  runId: string;
  status: string;
  links: Record<string, string>;
}

void describe('runs over the bus and the projection', () => {
  let db: TestDatabase;
  let gateway: RunningGateway;
  let bus: Bus;

  before(async () => {
    ({ db, gateway, bus } = await openGatewayTestEnv({
      env: { PREFECT_UI_URL: 'http://prefect.test:4200/', MLFLOW_UI_URL: 'http://mlflow.test:5000', JAEGER_UI_URL: 'http://jaeger.test:16686' },
    }));
  });
  after(() => closeGatewayTestEnv({ db, gateway, bus }));

  const postRun = (body: unknown, headers: Record<string, string> = {}) =>
    gateway.app.inject({ method: 'POST', url: '/runs', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

  void it('POST /runs answers 202 with a Location and publishes run.requested with the request', async () => {
    const response = await postRun({ taxi: 'yellow', year: 2023, month: 3, validation: '2023-04', source: '/data/yellow_tripdata_2023-03.parquet' });
    assert.equal(response.statusCode, 202, response.body);
    const body = response.json<Accepted>();
    assert.equal(response.headers.location, `/runs/${body.runId}`);
    assert.equal(body.status, 'requested');
    assert.equal(body.links.self, `/runs/${body.runId}`);
    assert.equal(body.links.events, `/runs/${body.runId}/events`);

    const event = await lastPublished(bus, 'run.requested', body.runId);
    assert.ok(event?.type === 'run.requested', 'run.requested is on the bus');
    assert.equal(event.subject, body.runId);
    assert.equal(event.source, '/gateway');
    assert.deepEqual(event.data, {
      taxi: 'yellow',
      months: [{ year: 2023, month: 3 }],
      validation: { year: 2023, month: 4 },
      source: '/data/yellow_tripdata_2023-03.parquet',
      stopAfter: 'train',
      origin: { kind: 'gateway' },
    });

    // Readable at once (recorded before publishing), then projected from the event.
    const run = await waitForRun(gateway, body.runId, 'run.requested projected', (r) => r.eventCount === 1);
    assert.equal(run.status, 'requested');
    assert.deepEqual(run.months, ['2023-03']);
    assert.equal(run.validation, '2023-04');
  });

  void it('the same body twice is two runs; a repeated Idempotency-Key is the same run', async () => {
    const body = { taxi: 'green', year: 2023, month: 1 };
    const first = (await postRun(body)).json<Accepted>();
    const second = (await postRun(body)).json<Accepted>();
    assert.notEqual(first.runId, second.runId);

    const keyed1 = await postRun(body, { 'idempotency-key': 'order-42' });
    const keyed2 = await postRun(body, { 'idempotency-key': 'order-42' });
    assert.equal(keyed1.statusCode, 202);
    assert.equal(keyed2.statusCode, 202);
    assert.equal(keyed2.json<Accepted>().runId, keyed1.json<Accepted>().runId);
    assert.equal(keyed2.headers['idempotent-replayed'], 'true');

    const reused = await postRun({ ...body, month: 2 }, { 'idempotency-key': 'order-42' });
    assert.equal(reused.statusCode, 422);
    assert.equal(reused.json<{ errors: { field: string }[] }>().errors[0]?.field, 'Idempotency-Key');
  });

  void it('projects a whole run: stages with durations, results, answers and links', async () => {
    const { runId } = (await postRun({ taxi: 'yellow', year: 2023, month: 3 })).json<Accepted>();
    await waitForRun(gateway, runId, 'run.requested projected', (r) => r.eventCount === 1);
    const events = successfulRunEvents(runId);
    await publishAll(bus, events);

    const run = await waitForRun(gateway, runId, 'run completed', (r) => r.status === 'completed');
    assert.equal(run.eventCount, 1 + events.length);
    assert.deepEqual(run.stages, [
      { name: 'ingest', status: 'completed', attempt: 1, startedAt: '2026-01-10T10:00:01.000Z', endedAt: '2026-01-10T10:00:05.000Z', durationMs: 4000 },
      { name: 'features', status: 'completed', attempt: 1, startedAt: '2026-01-10T10:00:06.000Z', endedAt: '2026-01-10T10:00:16.000Z', durationMs: 10_000 },
      { name: 'train', status: 'completed', attempt: 1, startedAt: '2026-01-10T10:00:17.000Z', endedAt: '2026-01-10T10:00:47.000Z', durationMs: 30_000 },
      { name: 'track', status: 'completed', attempt: 1, startedAt: '2026-01-10T10:00:48.000Z', endedAt: '2026-01-10T10:00:50.000Z', durationMs: 2000 },
    ]);
    assert.deepEqual(run.answers, {
      rows_loaded: 3_403_766,
      rows_prepared: 3_316_216,
      n_features: 519,
      intercept: 24.77,
      rmse_train: 8.16,
      rmse_val: null,
      model_size_bytes: 4_534,
      model_dir: '/data/models/run/model',
    });
    const results = run.results as { ingest: { rowsLoaded: number }; features: { rowsKept: number }; train: { rmseTrain: number } };
    assert.equal(results.ingest.rowsLoaded, 3_403_766);
    assert.equal(results.features.rowsKept, 3_316_216);
    assert.equal(results.train.rmseTrain, 8.16);
    assert.equal(run.error, null);
    assert.equal(run.finishedAt, '2026-01-10T10:00:51.000Z');
    assert.equal(run.mlflowRunId, 'f00dfeed');
    const links = run.links as Record<string, string>;
    assert.equal(links.mlflow, 'http://mlflow.test:5000/#/experiments/7/runs/f00dfeed');
  });

  void it('applies a redelivered event once and keeps the first terminal status', async () => {
    const { runId } = (await postRun({ taxi: 'yellow', year: 2023, month: 3 })).json<Accepted>();
    const started = eventAt('stage.started', runId, { stage: 'ingest', attempt: 1 }, '2026-01-10T10:00:01Z');
    await publishAll(bus, [started]);
    await waitForRun(gateway, runId, 'stage.started projected', (r) => r.eventCount === 2);
    // The same event again (another message id, as after a publisher retry past the dedup window).
    await bus.publish(started, { msgId: `${started.id}-again` });
    await publishAll(bus, [
      eventAt('run.failed', runId, { stage: 'ingest', code: 'not_found', message: 'no file for 2023-03' }, '2026-01-10T10:00:03Z'),
      eventAt('run.completed', runId, {}, '2026-01-10T10:00:04Z'),
    ]);
    const run = await waitForRun(gateway, runId, 'both terminal events stored', (r) => r.eventCount === 4);
    assert.equal(run.status, 'failed');
    assert.deepEqual(run.error, { stage: 'ingest', code: 'not_found', message: 'no file for 2023-03' });
    assert.deepEqual(run.stages, [
      { name: 'ingest', status: 'failed', attempt: 1, startedAt: '2026-01-10T10:00:01.000Z', endedAt: '2026-01-10T10:00:03.000Z', durationMs: 2000 },
    ]);
  });

  void it('projects a failed run with the error and the failing stage', async () => {
    const runId = newRunId();
    const prefectFlowRunId = '0a1b2c3d-0000-4000-8000-000000000001';
    await publishAll(bus, [
      eventAt('run.requested', runId, { taxi: 'green', months: [{ year: 2023, month: 1 }], origin: { kind: 'prefect', prefectFlowRunId } }, '2026-01-10T09:00:00Z', '/services/tracker-bridge'),
      eventAt('stage.started', runId, { stage: 'ingest', attempt: 1 }, '2026-01-10T09:00:01Z'),
      eventAt('data.downloaded', runId, { taxi: 'green', files: [{ year: 2023, month: 1, uri: 'file:///x.parquet', sha256: 'c'.repeat(64), bytes: 10, rows: 5, sourceUrl: 'https://x' }], durationMs: 900 }, '2026-01-10T09:00:02Z'),
      eventAt('stage.started', runId, { stage: 'features', attempt: 1 }, '2026-01-10T09:00:03Z'),
      eventAt('stage.started', runId, { stage: 'features', attempt: 2 }, '2026-01-10T09:00:05Z'),
      eventAt('run.failed', runId, { stage: 'features', code: 'invalid_schema', message: 'column lpep_pickup_datetime is missing', attempts: 2 }, '2026-01-10T09:00:06Z'),
    ]);
    const run = await waitForRun(gateway, runId, 'run failed', (r) => r.status === 'failed');
    assert.deepEqual(run.error, { stage: 'features', code: 'invalid_schema', message: 'column lpep_pickup_datetime is missing', attempts: 2 });
    const stages = run.stages as { name: string; status: string; attempt: number; durationMs: number }[];
    assert.deepEqual(
      stages.map((s) => [s.name, s.status, s.attempt, s.durationMs]),
      [
        ['ingest', 'completed', 1, 1000],
        ['features', 'failed', 2, 3000],
      ],
    );
    assert.equal(run.answers, null);
    assert.equal(run.origin, 'prefect');
    assert.equal(run.prefectFlowRunId, prefectFlowRunId);
    assert.equal((run.links as Record<string, string>).prefect, `http://prefect.test:4200/runs/flow-run/${prefectFlowRunId}`);
    assert.equal(run.durationMs, 6000);
  });

  void it('404 problem+json for an unknown run', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: '/runs/no-such-run' });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  });

  void it('cancel: 202 publishes run.cancelled, then 409; 404 for an unknown run', async () => {
    const { runId } = (await postRun({ taxi: 'yellow', year: 2023, month: 3 })).json<Accepted>();
    const cancel = await gateway.app.inject({ method: 'POST', url: `/runs/${runId}/cancel`, payload: { reason: 'wrong month' } });
    assert.equal(cancel.statusCode, 202, cancel.body);
    const event = await lastPublished(bus, 'run.cancelled', runId);
    assert.ok(event?.type === 'run.cancelled');
    assert.deepEqual(event.data, { by: 'gateway', reason: 'wrong month' });

    await waitForRun(gateway, runId, 'run cancelled', (r) => r.status === 'cancelled');
    const again = await gateway.app.inject({ method: 'POST', url: `/runs/${runId}/cancel` });
    assert.equal(again.statusCode, 409);
    assert.match(String(again.headers['content-type']), /^application\/problem\+json/);

    const unknown = await gateway.app.inject({ method: 'POST', url: '/runs/no-such-run/cancel' });
    assert.equal(unknown.statusCode, 404);
  });
});

void describe('GET /runs paging and filter', () => {
  let db: TestDatabase;
  let gateway: RunningGateway;
  let bus: Bus;
  const created: string[] = [];

  before(async () => {
    ({ db, gateway, bus } = await openGatewayTestEnv());
    for (let i = 0; i < 7; i++) {
      const response = await gateway.app.inject({ method: 'POST', url: '/runs', payload: { taxi: 'yellow', year: 2023, month: 1 + i } });
      created.push(response.json<Accepted>().runId);
    }
    // Two of them finish.
    for (const runId of created.slice(0, 2)) await publishAll(bus, [eventAt('run.completed', runId, {}, new Date().toISOString())]);
    for (const runId of created.slice(0, 2)) await waitForRun(gateway, runId, 'completed', (r) => r.status === 'completed');
  });
  after(() => closeGatewayTestEnv({ db, gateway, bus }));

  interface Page {
    items: { runId: string; status: string }[];
    nextCursor: string | null;
    links: { next?: string };
  }
  const get = async (url: string) => {
    const response = await gateway.app.inject({ method: 'GET', url });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<Page>();
  };

  void it('pages newest first with a cursor, every run once', async () => {
    const seen: string[] = [];
    let page = await get('/runs?limit=3');
    seen.push(...page.items.map((r) => r.runId));
    let pages = 1;
    while (page.links.next) {
      page = await get(page.links.next);
      seen.push(...page.items.map((r) => r.runId));
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...created].reverse());
    assert.equal(page.nextCursor, null);
  });

  void it('pages with an offset', async () => {
    const page = await get('/runs?limit=2&offset=5');
    assert.deepEqual(
      page.items.map((r) => r.runId),
      [...created].reverse().slice(5, 7),
    );
  });

  void it('filters by status, paging included', async () => {
    const completed = await get('/runs?status=completed&limit=1');
    assert.equal(completed.items.length, 1);
    assert.ok(completed.links.next?.includes('status=completed'));
    const rest = await get(completed.links.next ?? '');
    const ids = [...completed.items, ...rest.items].map((r) => r.runId);
    assert.deepEqual(ids.sort(), created.slice(0, 2).sort());
    assert.ok([...completed.items, ...rest.items].every((r) => r.status === 'completed'));

    const requested = await get('/runs?status=requested&limit=100');
    assert.equal(requested.items.length, 5);
    assert.ok(requested.items.every((r) => r.status === 'requested'));
  });
});
