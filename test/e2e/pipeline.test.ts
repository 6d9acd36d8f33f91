// Acceptance: the event-driven pipeline end to end - gateway, two instances of every stage
// service, real NATS, PostgreSQL and real TLC files over HTTP - against the local command.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { realDataDir, realDataMissing } from '../support/real-data';
import { repoRoot } from './support/processes';
import { E2EStack, readSse } from './support/stack';

const run = promisify(execFile);

/** What `npm run pipeline -- --json` prints for one file. */
async function localAnswers(file: string): Promise<Record<string, number | string | null>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'taxi-e2e-cli-'));
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', '--taxi', 'green', '--year', '2023', '--month', '3', '--source', file, '--data-dir', dataDir, '--json', '--no-progress'], { cwd: repoRoot });
    return JSON.parse(stdout) as Record<string, number | string | null>;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

void describe('e2e: the pipeline over NATS, two instances of every service', { skip: realDataMissing }, () => {
  const stack = new E2EStack({ realDataDir, instances: { ingest: 2, features: 2, trainer: 2 } });
  let expected: Record<string, number | string | null>;

  before(async () => {
    [expected] = await Promise.all([localAnswers(join(realDataDir, 'green_tripdata_2023-03.parquet')), stack.start()]);
  });
  after(() => stack.stop());

  void it('POST /runs green 2023-03 completes with the numbers of the local command; SSE delivers every event in order', { timeout: 180_000 }, async () => {
    const runId = await stack.postRun({ taxi: 'green', year: 2023, month: 3 });
    const sse = readSse(`${stack.gatewayUrl}/runs/${runId}/events`, AbortSignal.timeout(120_000));
    const view = await stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'completed', JSON.stringify(view.error));

    const { model_dir: modelDir, ...numbers } = view.answers ?? {};
    const { model_dir: _localDir, ...localNumbers } = expected;
    assert.deepEqual(numbers, localNumbers, 'the service answers equal `npm run pipeline -- --json`');
    assert.ok((await stat(join(String(modelDir), 'MLmodel'))).isFile(), `model_dir ${String(modelDir)} holds an MLflow model`);
    assert.equal(view.results.features?.nFeatures, expected.n_features, 'features.ready counts the same features');

    const streamed = await stack.runEvents(runId);
    assert.deepEqual(
      streamed.map((event) => (event.type === 'stage.started' ? `stage.started:${(event.data as { stage: string }).stage}` : event.type)),
      ['run.requested', 'stage.started:ingest', 'data.downloaded', 'stage.started:features', 'features.ready', 'stage.started:train', 'model.trained', 'run.completed'],
    );
    const delivered = await sse;
    assert.deepEqual(
      delivered.map((message) => [message.event, message.data.id]),
      streamed.map((event) => [event.type, event.id]),
      'SSE delivered the stream events of the run, all of them, in stream order',
    );
    assert.equal(view.eventCount, streamed.length);
  });

  void it('20 runs posted at once (repeated months, identical requests) all complete with exactly one model.trained each', { timeout: 300_000 }, async () => {
    const months = ['2021-01', '2021-02', '2021-03', '2021-04', '2022-01', '2022-02', '2023-01', '2023-02', '2023-03'];
    const bodies: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 20; i++) {
      const [year, month] = months[i % months.length]!.split('-').map(Number);
      // Two runs also score a validation month: that file is ingested and summarised too.
      bodies.push({ taxi: 'green', year, month, ...(i === 3 || i === 12 ? { validation: '2021-01' } : {}) });
    }
    const runIds = await Promise.all(bodies.map((body) => stack.postRun(body)));
    const views = await Promise.all(runIds.map((runId) => stack.waitForFinishedRun(runId, 240_000)));

    for (const [i, view] of views.entries()) {
      assert.equal(view.status, 'completed', `run ${i} ${JSON.stringify(bodies[i])}: ${JSON.stringify(view.error)}`);
      const runId = runIds[i]!;
      for (const type of ['data.downloaded', 'features.ready', 'model.trained', 'run.completed'] as const) {
        assert.equal(await stack.countEvents(type, runId), 1, `run ${i}: exactly one ${type} in the stream`);
      }
      assert.equal(view.answers?.rmse_val === null, !('validation' in bodies[i]!), `run ${i}: rmse_val only with a validation month`);
    }
    // Identical requests give identical answers, from the same content-addressed model.
    const byRequest = new Map<string, unknown>();
    for (const [i, view] of views.entries()) {
      const key = JSON.stringify(bodies[i]);
      if (byRequest.has(key)) assert.deepEqual(view.answers, byRequest.get(key), `run ${i} repeats ${key}`);
      else byRequest.set(key, view.answers);
    }
    // The first test already ran 2023-03; the 2023-03 runs here did not download it again.
    assert.equal(stack.tlc.requests.get('green_tripdata_2023-03.parquet'), 1, 'a month is downloaded once however many runs need it');
  });

  void it('a month without a file and a corrupt file fail the run at ingest with a clear message', { timeout: 120_000 }, async () => {
    const missing = await stack.postRun({ taxi: 'green', year: 2020, month: 5 });
    const corrupt = await stack.postRun({ taxi: 'green', year: 2022, month: 6 });
    const [missingView, corruptView] = await Promise.all([stack.waitForFinishedRun(missing), stack.waitForFinishedRun(corrupt)]);

    assert.equal(missingView.status, 'failed');
    assert.equal(missingView.error?.stage, 'ingest');
    assert.equal(missingView.error?.code, 'not_found');
    assert.match(missingView.error?.message ?? '', /green file for 2020-05 .*HTTP 404/);

    assert.equal(corruptView.status, 'failed');
    assert.equal(corruptView.error?.stage, 'ingest');
    assert.equal(corruptView.error?.code, 'invalid_file');
    assert.match(corruptView.error?.message ?? '', /2022-06/);
    for (const runId of [missing, corrupt]) assert.equal(await stack.countEvents('stage.started', runId), 1, 'only ingest started');
  });

  void it('invalid bodies get 400 and publish nothing', async () => {
    const requestedBefore = (await stack.bus.jsm.streams.info(stack.bus.names.stream)).state.messages;
    const bodies: unknown[] = [
      {},
      { taxi: 'blue', year: 2023, month: 3 },
      { taxi: 'green', year: 2023, month: 13 },
      { taxi: 'green', year: 2023 },
      { taxi: 'green', year: 2023, month: 3, colour: 'red' },
      { taxi: 'green', from: '2023-03', to: '2023-01' },
      '{"taxi": "green", "year": 2023,',
    ];
    for (const body of bodies) {
      const { status, json } = await stack.http('POST', '/runs', body);
      assert.equal(status, 400, `${JSON.stringify(body)} → ${status} ${JSON.stringify(json)}`);
    }
    assert.equal((await stack.bus.jsm.streams.info(stack.bus.names.stream)).state.messages, requestedBefore, 'no event was published');
  });
});
