// Acceptance: one trace per run across every service. The gateway, the three stage services and
// the tracker-bridge (MLflow part) run as child processes on real NATS, PostgreSQL and MLflow, and
// export OTLP/HTTP JSON to a receiver in this test, as they export to Jaeger in compose.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realDataDir, realDataMissing } from '../support/real-data';
import { startMlflowServer, uniqueSuffix } from '../../services/tracker-bridge/test/support/mlflow-server';
import { E2EStack } from './support/stack';
import { SpanKind, StatusCode, spawnTrackerBridge, startTraceReceiver, type ReceivedSpan, type TraceReceiver } from './support-trace';
import type { ServiceProcess } from './support/processes';

const JAEGER_UI_URL = 'http://jaeger.example:16686';

/** The span's ancestors, nearest first, as far as they were received. */
function ancestors(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let parent = span.parentSpanId && byId.get(span.parentSpanId); parent; parent = parent.parentSpanId && byId.get(parent.parentSpanId)) chain.push(parent);
  return chain;
}

void describe('e2e: one trace per run, from POST /runs to the MLflow record', { skip: realDataMissing }, () => {
  let receiver: TraceReceiver;
  let stack: E2EStack;
  let bridge: ServiceProcess;
  let trackingUri: string;
  const suffix = uniqueSuffix();

  before(async () => {
    [receiver, trackingUri] = await Promise.all([startTraceReceiver(), startMlflowServer()]);
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200', // export within a moment of the span's end
    };
    stack = new E2EStack({ realDataDir, env: otel, serviceEnv: { gateway: { JAEGER_UI_URL } } });
    await stack.start();
    bridge = spawnTrackerBridge({
      ...stack.env('ingest', otel),
      MLFLOW_TRACKING_URI: trackingUri,
      MLFLOW_EXPERIMENT_NAME: `trace-e2e-{taxi}-${suffix}`,
      MLFLOW_REGISTERED_MODEL: `trace-e2e-${suffix}`,
      MLFLOW_MODEL_CACHE_DIR: `${stack.artifactRoot}/mlflow-cache`,
      PREFECT_ENABLED: 'false',
    });
    await bridge.waitForLine((line) => line.msg === 'started', 'started');
  });
  after(async () => {
    await bridge?.stop();
    await stack?.stop();
    await receiver?.close();
  });

  void it('gateway → ingest → features → trainer → tracker-bridge is one chain of parent spans with the run id and stage row counts', { timeout: 180_000 }, async () => {
    const runId = await stack.postRun({ taxi: 'green', year: 2023, month: 3 });
    const view = await stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'completed', JSON.stringify(view.error));
    const tracked = await stack.waitForEvent(runId, (event) => event.type === 'model.tracked');

    // GET /runs/:id names the trace and links it in Jaeger.
    const { json } = await stack.http('GET', `/runs/${runId}`);
    const traceId = String(json.traceId);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.equal((json.links as Record<string, string>).trace, `${JAEGER_UI_URL}/trace/${traceId}`);

    // Wait for the bridge's CONSUMER span (it ends after model.tracked is published and acked).
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.service === 'tracker-bridge' && s.kind === SpanKind.CONSUMER && s.attributes['pipeline.run_id'] === runId),
      'the tracker-bridge consumer span of the run',
    );
    const ofRun = spans.filter((s) => s.attributes['pipeline.run_id'] === runId);
    assert.deepEqual([...new Set(ofRun.map((s) => s.traceId))], [traceId], 'every span naming the run is in the one trace');
    const trace = spans.filter((s) => s.traceId === traceId);
    assert.deepEqual([...new Set(trace.map((s) => s.service))].sort(), ['features', 'gateway', 'ingest', 'tracker-bridge', 'trainer']);

    // The parent chain, from the bridge's consumer span up to the gateway's HTTP server span.
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const bridgeConsumer = trace.find((s) => s.service === 'tracker-bridge' && s.kind === SpanKind.CONSUMER && s.name === 'process pipeline.model.trained');
    assert.ok(bridgeConsumer, trace.map((s) => `${s.service} ${s.name}`).join('\n'));
    const chain = [bridgeConsumer, ...ancestors(bridgeConsumer, byId)];
    const root = chain.at(-1)!;
    assert.equal(root.parentSpanId, undefined, `the chain reaches the trace's root, got ${root.service} ${root.name}`);
    assert.equal(root.service, 'gateway');
    assert.equal(root.kind, SpanKind.SERVER);
    assert.match(root.name, /^POST/);
    const services = chain.map((s) => s.service).reverse().filter((service, i, all) => service !== all[i - 1]);
    assert.deepEqual(services, ['gateway', 'ingest', 'features', 'trainer', 'tracker-bridge']);
    for (const consumer of chain.filter((s) => s.kind === SpanKind.CONSUMER)) {
      assert.equal(byId.get(consumer.parentSpanId!)?.kind, SpanKind.PRODUCER, `${consumer.service} ${consumer.name}: its parent is the producer span across NATS`);
    }

    // Each stage's work is a span with row counts; DuckDB and the solver are spans of their own.
    const named = (service: string, name: string) => trace.find((s) => s.service === service && s.name === name);
    const ingest = named('ingest', 'ingest files');
    const validate = named('ingest', 'duckdb validate parquet');
    const features = named('features', 'features month statistics');
    const duckdb = named('features', 'duckdb statistics query');
    const train = named('trainer', 'train model');
    const solver = named('trainer', 'solver exact-min-norm');
    assert.ok(ingest && validate && features && duckdb && train && solver, trace.map((s) => `${s.service} ${s.name}`).join('\n'));
    const rowsRead = Number(view.answers?.rows_loaded);
    assert.equal(ingest.attributes['pipeline.rows.read'], rowsRead);
    assert.equal(validate.attributes['pipeline.rows.read'], rowsRead);
    assert.equal(features.attributes['pipeline.rows.read'], rowsRead);
    assert.equal(duckdb.attributes['pipeline.rows.kept'], Number(view.answers?.rows_prepared));
    assert.equal(train.attributes['pipeline.rows.train'], Number(view.answers?.rows_prepared));
    assert.equal(solver.attributes['pipeline.features'], Number(view.answers?.n_features));
    for (const span of [ingest, validate, features, duckdb, train, solver]) {
      assert.equal(span.kind, SpanKind.INTERNAL);
      assert.equal(typeof span.attributes['pipeline.duration_ms'], 'number', `${span.name} carries its duration`);
    }
    assert.ok(ancestors(solver, byId).includes(train), 'the solver runs inside the train span');
    assert.ok(ancestors(duckdb, byId).includes(features), 'the DuckDB query runs inside the features span');

    // The bridge's calls to MLflow are CLIENT spans of the same trace, under its consumer span.
    const mlflowCalls = trace.filter((s) => s.service === 'tracker-bridge' && s.kind === SpanKind.CLIENT);
    assert.ok(mlflowCalls.length > 0, 'fetch calls to MLflow are traced');
    assert.ok(mlflowCalls.every((s) => ancestors(s, byId).includes(bridgeConsumer)));
    assert.ok(mlflowCalls.some((s) => String(s.attributes['url.full'] ?? '').includes('/api/2.0/mlflow/runs/create')), mlflowCalls.map((s) => s.attributes['url.full']).join('\n'));

    // The trace id is in the run's log lines and in the MLflow run's tags.
    const stageLines = stack.services.flatMap((service) => service.lines).filter((line) => line.runId === runId);
    assert.ok(stageLines.length >= 3);
    for (const line of stageLines) assert.equal(line.traceId, traceId, `log line "${String(line.msg)}" carries the trace id`);
    const bridgeLine = bridge.lines.find((line) => line.runId === runId && line.msg === 'recorded in MLflow');
    assert.equal(bridgeLine?.traceId, traceId);
    const mlflowRunId = (tracked.data as { mlflowRunId: string }).mlflowRunId;
    const run = (await (await fetch(`${trackingUri}/api/2.0/mlflow/runs/get?run_id=${mlflowRunId}`)).json()) as { run: { data: { tags: Array<{ key: string; value: string }> } } };
    assert.equal(run.run.data.tags.find((tag) => tag.key === 'taxi_mlops.trace_id')?.value, traceId);
    assert.deepEqual(receiver.rejected, [], 'only OTLP/JSON traces were sent (no metrics or logs exporter)');
  });

  void it('a failing stage records the error on its spans with ERROR status, in the run trace', { timeout: 60_000 }, async () => {
    const runId = await stack.postRun({ taxi: 'green', year: 2020, month: 5 }); // no such file on the mirror: 404
    const view = await stack.waitForFinishedRun(runId);
    assert.equal(view.status, 'failed');
    const { json } = await stack.http('GET', `/runs/${runId}`);
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.service === 'ingest' && s.kind === SpanKind.CONSUMER && s.attributes['pipeline.run_id'] === runId),
      'the ingest consumer span of the failed run',
    );
    const consumer = spans.find((s) => s.service === 'ingest' && s.kind === SpanKind.CONSUMER && s.attributes['pipeline.run_id'] === runId)!;
    assert.equal(consumer.traceId, json.traceId);
    assert.equal(consumer.status, StatusCode.ERROR);
    assert.ok(consumer.events.includes('exception'));
    assert.equal(consumer.attributes['pipeline.outcome'], 'failed');
    const work = spans.find((s) => s.traceId === consumer.traceId && s.name === 'ingest files');
    assert.equal(work?.status, StatusCode.ERROR, 'the stage span records the failure too');
    assert.equal(work?.parentSpanId, consumer.spanId);
  });
});
