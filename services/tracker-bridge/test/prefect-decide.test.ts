import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEvent, type Envelope, type EventDataInput, type EventType } from '@taxi-mlops/contracts';
import { decide, decideTimeout, initialRunState, type DecideContext, type PrefectAction, type RunState } from '../src/prefect/decide';
import { ANSWERS_MARKER, answersReport, traceIdOf } from '../src/prefect/answers';
import { runIdForFlowRun, runRequestForFlowRun } from '../src/prefect/claim';
import { serviceLogLine } from '../src/prefect/service-logs';
import { uuidv5 } from '../src/prefect/uuid5';
import { deploymentBody, deploymentSpecs } from '../src/prefect/deployments';
import type { FlowRun } from '../src/prefect/api-types';

const ctx: DecideContext = { orchestrator: 'Prefect 3.8.8', waitForTracking: true, traceUiUrl: 'http://jaeger:16686' };
const SHA = 'b'.repeat(64);

function ev<T extends EventType>(type: T, data: EventDataInput<T>, runId = 'r1'): Envelope {
  return createEvent(type, runId, data, '/test');
}

/** Folds events and returns the final state and every action, as the mirror would. */
function fold(events: Envelope[], context = ctx, start: RunState = initialRunState('r1')) {
  let state = start;
  const actions: PrefectAction[] = [];
  for (const event of events) {
    const decision = decide(state, event, context, event.type === 'run.requested' ? 'c'.repeat(32) : undefined);
    state = decision.state;
    actions.push(...decision.actions);
  }
  return { state, actions };
}

const describeAction = (a: PrefectAction) =>
  a.kind === 'startTask' ? `start ${a.task}` : a.kind === 'endTask' ? `${a.type} ${a.task}` : a.kind === 'endFlowRun' ? `flow ${a.type}` : a.kind === 'artifact' ? `artifact ${a.key}` : 'open';

const requested = ev('run.requested', { taxi: 'yellow', months: [{ year: 2023, month: 3 }], origin: { kind: 'gateway' } });
const downloaded = ev('data.downloaded', { taxi: 'yellow', files: [{ year: 2023, month: 3, uri: 'file:///x', sha256: SHA, bytes: 10, rows: 3_403_766, sourceUrl: 'u' }], durationMs: 5 });
const featuresReady = ev('features.ready', {
  taxi: 'yellow',
  months: [{ year: 2023, month: 3, statsUri: 'file:///s', sha256: SHA, rowsRead: 3_403_766, rowsKept: 3_316_216 }],
  rowsRead: 3_403_766,
  rowsKept: 3_316_216,
  nFeatures: 518,
  durationMs: 5,
});
const trained = ev('model.trained', { modelUri: 'file:///m', intercept: 24.77, rmseTrain: 7.65, rmseVal: null, nFeatures: 518, modelSizeBytes: 4534, rowsTrain: 3_316_216, solver: 'exact-min-norm', durationMs: 5 });
const completed = ev('run.completed', {});
const tracked = ev('model.tracked', { mlflowRunId: 'm1', experimentId: '7', experimentName: 'nyc', champion: true, durationMs: 3 });
const started = (stage: 'ingest' | 'features' | 'train' | 'track') => ev('stage.started', { stage, attempt: 1 });

void describe('decide: pipeline events → Prefect calls', () => {
  void it('mirrors a full run: one task per stage in order, the answers artifact, then Completed after model.tracked', () => {
    const { state, actions } = fold([requested, started('ingest'), downloaded, started('features'), featuresReady, started('train'), trained, completed, started('track'), tracked]);
    assert.deepEqual(actions.map(describeAction), [
      'open',
      'start download',
      'COMPLETED download',
      'start features',
      'COMPLETED features',
      'start train',
      'COMPLETED train',
      'start track',
      'COMPLETED track',
      'artifact homework-answers',
      'flow COMPLETED',
    ]);
    assert.equal(state.ended, 'COMPLETED');
    const open = actions[0] as Extract<PrefectAction, { kind: 'openFlowRun' }>;
    assert.equal(open.deployment, 'homework-complete-solution');
    assert.deepEqual(open.parameters, { year: 2023, month: 3, taxi_type: 'yellow' });
    assert.equal(open.existingFlowRunId, undefined);
    const start = actions.find((a) => a.kind === 'startTask' && a.task === 'train') as Extract<PrefectAction, { kind: 'startTask' }>;
    assert.equal(start.upstream, 'features');
  });

  void it('does not complete on run.completed while tracking is awaited, and completes on it when tracking is off', () => {
    const events = [requested, started('ingest'), downloaded, started('features'), featuresReady, started('train'), trained, completed];
    assert.equal(fold(events).state.ended, undefined);
    const off = fold(events, { ...ctx, waitForTracking: false });
    assert.equal(off.state.ended, 'COMPLETED');
    assert.ok(!off.actions.some((a) => a.kind === 'startTask' && a.task === 'track'));
  });

  void it('a data-download run uses its deployment and completes after ingest with a download report', () => {
    const ingestOnly = ev('run.requested', { taxi: 'green', months: [{ year: 2024, month: 1 }], stopAfter: 'ingest', origin: { kind: 'prefect', prefectFlowRunId: 'f-1' } });
    const { state, actions } = fold([ingestOnly, started('ingest'), downloaded, completed]);
    assert.equal((actions[0] as Extract<PrefectAction, { kind: 'openFlowRun' }>).deployment, 'data-download');
    assert.equal((actions[0] as Extract<PrefectAction, { kind: 'openFlowRun' }>).existingFlowRunId, 'f-1');
    assert.deepEqual(actions.map(describeAction), ['open', 'start download', 'COMPLETED download', 'artifact data-download-report', 'flow COMPLETED']);
    assert.equal(state.ended, 'COMPLETED');
  });

  void it('run.failed fails its stage and the flow run with the error; later events change nothing', () => {
    const failed = ev('run.failed', { stage: 'ingest', code: 'not_found', message: 'no file for 2030-01 (HTTP 404)' });
    const { state, actions } = fold([requested, started('ingest'), failed, downloaded]);
    assert.deepEqual(actions.map(describeAction), ['open', 'start download', 'FAILED download', 'flow FAILED']);
    const end = actions.at(-1) as Extract<PrefectAction, { kind: 'endFlowRun' }>;
    assert.match(end.message ?? '', /HTTP 404/);
    assert.equal(end.log?.level, 40);
    assert.equal(state.ended, 'FAILED');
  });

  void it('run.cancelled cancels the open task and the flow run', () => {
    const { actions } = fold([requested, started('ingest'), downloaded, started('features'), ev('run.cancelled', { reason: 'cancelled in Prefect', by: 'prefect' })]);
    assert.deepEqual(actions.slice(-2).map(describeAction), ['CANCELLED features', 'flow CANCELLED']);
  });

  void it('a result without its stage.started still shows the task, and duplicates are ignored', () => {
    const { actions } = fold([requested, requested, downloaded, downloaded, started('ingest')]);
    assert.deepEqual(actions.map(describeAction), ['open', 'start download', 'COMPLETED download']);
  });

  void it('events of a run without its run.requested are not mirrored', () => {
    assert.deepEqual(fold([started('ingest'), downloaded]).actions, []);
  });

  void it('the timeout crashes the open tasks and the flow run, once', () => {
    const { state } = fold([requested, started('ingest')]);
    const timeout = decideTimeout(state, 30);
    assert.deepEqual(timeout.actions.map(describeAction), ['CRASHED download', 'flow CRASHED']);
    assert.deepEqual(decideTimeout(timeout.state, 30).actions, []);
  });
});

void describe('answers report', () => {
  void it('holds every answer, the MLflow and trace links, and a marked block', () => {
    const { state } = fold([requested, started('ingest'), downloaded, started('features'), featuresReady, started('train'), trained, completed, tracked], { ...ctx, mlflowUrl: 'http://mlflow:5000' });
    const report = answersReport(state, { ...ctx, mlflowUrl: 'http://mlflow:5000' });
    for (const expected of ['Prefect 3.8.8', '3,403,766', '3,316,216', '518', '24.77', '7.65', '4,534', 'http://mlflow:5000/#/experiments/7/runs/m1', `http://jaeger:16686/trace/${'c'.repeat(32)}`]) {
      assert.ok(report.markdown.includes(expected), `markdown has ${expected}`);
      assert.ok(report.block.includes(expected), `block has ${expected}`);
    }
    assert.ok(report.block.startsWith(ANSWERS_MARKER));
  });

  void it('reads the trace id of a traceparent header', () => {
    assert.equal(traceIdOf(`00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`), 'ab'.repeat(16));
    assert.equal(traceIdOf(`00-${'0'.repeat(32)}-${'cd'.repeat(8)}-01`), undefined);
    assert.equal(traceIdOf(undefined), undefined);
  });
});

void describe('claim: flow run → run.requested', () => {
  const flowRun = (over: Partial<FlowRun>): FlowRun => ({ id: '11111111-2222-3333-4444-555555555555', name: 'x', flow_id: 'f', parameters: {}, tags: [], ...over });

  void it('honours year, month and taxi_type', () => {
    const request = runRequestForFlowRun(flowRun({ parameters: { year: 2024, month: 2, taxi_type: 'green' } }), 'homework-complete-solution');
    assert.ok(request.ok);
    assert.equal(request.runId, runIdForFlowRun('11111111-2222-3333-4444-555555555555'));
    assert.deepEqual(request.data.months, [{ year: 2024, month: 2 }]);
    assert.equal(request.data.taxi, 'green');
    assert.equal(request.data.stopAfter, 'train');
    assert.deepEqual(request.data.origin, { kind: 'prefect', prefectFlowRunId: '11111111-2222-3333-4444-555555555555', deployment: 'homework-complete-solution' });
  });

  void it('trains a cron run on the month before its scheduled time, and stops a data-download after ingest', () => {
    const request = runRequestForFlowRun(flowRun({ auto_scheduled: true, expected_start_time: '2024-01-03T09:00:00Z', parameters: { year: 2023, month: 3 } }), 'data-download');
    assert.ok(request.ok);
    assert.deepEqual(request.data.months, [{ year: 2023, month: 12 }]);
    assert.equal(request.data.stopAfter, 'ingest');
    assert.equal(request.data.origin.kind, 'schedule');
  });

  void it('names the bad parameter', () => {
    const request = runRequestForFlowRun(flowRun({ parameters: { year: 2023, month: 13, taxi_type: 'yellow' } }), 'homework-complete-solution');
    assert.ok(!request.ok);
    assert.match(request.reason, /parameter month/);
  });
});

void describe('service log lines and ids', () => {
  void it('turns a pino line into a Prefect log of its task', () => {
    const line = serviceLogLine(JSON.stringify({ level: 'warn', time: '2026-01-01T00:00:00.000Z', service: 'features', runId: 'r1', msg: 'slow', rows: 5 }), 'features');
    assert.deepEqual(line, { name: 'pipeline.features', level: 30, message: 'slow (rows=5)', timestamp: '2026-01-01T00:00:00.000Z', task: 'features' });
    assert.equal(serviceLogLine('not json', 'ingest'), undefined);
    assert.equal(serviceLogLine(JSON.stringify({ level: 50, time: 0, msg: 'boom' }), 'trainer')?.level, 40);
  });

  void it('uuidv5 matches the RFC 9562 example and is deterministic', () => {
    // RFC 9562 appendix A.4: v5 of "www.example.com" in the DNS namespace.
    assert.equal(uuidv5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.equal(uuidv5('a/b'), uuidv5('a/b'));
  });

  void it('deployment bodies: no work pool, no concurrency limit, UTC cron when configured', () => {
    const options = { experimentName: 'nyc', schedules: { 'homework-complete-solution': '0 9 3 * *' }, version: 'v' };
    const [homeworkSpec, download] = deploymentSpecs(options);
    const body = deploymentBody(homeworkSpec!, 'flow-1', options);
    assert.deepEqual(body.schedules, [{ schedule: { cron: '0 9 3 * *', timezone: 'UTC' }, active: true }]);
    assert.equal(body.concurrency_limit, null);
    assert.ok(!('work_pool_name' in body));
    assert.deepEqual(deploymentBody(download!, 'flow-2', options).schedules, []);
  });
});
