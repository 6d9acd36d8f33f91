import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, type AnyEnvelope } from '../src/projection/apply';
import type { RunState } from '../src/projection/run-state';
import { eventAt, successfulRunEvents } from './support';

const runId = 'run-1';
const fold = (events: AnyEnvelope[], from?: RunState) => events.reduce<RunState | undefined>((state, event) => applyEvent(state, event), from);

void describe('projection (pure)', () => {
  void it('is the same whichever order the stage events of a run arrive in', () => {
    const events = successfulRunEvents(runId);
    const inOrder = fold(events);
    const shuffled = fold([events[1]!, events[0]!, events[3]!, events[2]!, ...events.slice(4)]);
    assert.deepEqual(shuffled?.stages, inOrder?.stages);
    assert.equal(shuffled?.status, 'completed');
  });

  void it('keeps the first terminal status and never moves a finished run back', () => {
    const failed = fold([
      eventAt('run.failed', runId, { stage: 'train', code: 'training_failed', message: 'singular' }, '2026-01-01T00:00:10Z'),
      eventAt('run.cancelled', runId, {}, '2026-01-01T00:00:11Z'),
      eventAt('stage.started', runId, { stage: 'train', attempt: 1 }, '2026-01-01T00:00:05Z'),
    ] as AnyEnvelope[]);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.finishedAt, '2026-01-01T00:00:10.000Z');
    // The late start fills in the duration but does not reopen the stage.
    assert.deepEqual(failed?.stages.train, { status: 'failed', attempt: 1, startedAt: '2026-01-01T00:00:05.000Z', endedAt: '2026-01-01T00:00:10.000Z', durationMs: 5000 });
  });

  void it('closes the stages still running when the run is cancelled', () => {
    const state = fold([
      eventAt('stage.started', runId, { stage: 'ingest', attempt: 1 }, '2026-01-01T00:00:00Z'),
      eventAt('run.cancelled', runId, { by: 'gateway' }, '2026-01-01T00:00:03Z'),
    ] as AnyEnvelope[]);
    assert.equal(state?.status, 'cancelled');
    assert.deepEqual(state?.stages.ingest, { status: 'cancelled', attempt: 1, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:03.000Z', durationMs: 3000 });
  });

  void it('uses the reported duration when a stage never said it started', () => {
    const state = fold([eventAt('data.downloaded', runId, { taxi: 'yellow', files: [{ year: 2023, month: 1, uri: 'u', sha256: 'a'.repeat(64), bytes: 1, rows: 2, sourceUrl: 's' }], durationMs: 1234 }, '2026-01-01T00:00:03Z')] as AnyEnvelope[]);
    assert.equal(state?.status, 'running');
    assert.equal(state?.stages.ingest?.durationMs, 1234);
    assert.equal(state?.results.ingest?.rowsLoaded, 2);
  });

  void it('takes the Prefect flow run of a run started elsewhere from run.mirrored, and keeps one Prefect gave it', () => {
    const events = successfulRunEvents(runId);
    const mirrored = eventAt('run.mirrored', runId, { prefectFlowRunId: 'flow-run-7', deployment: 'homework-complete-solution' }, '2026-01-01T00:00:01Z');
    assert.equal(fold(events)!.prefectFlowRunId, null, 'a gateway run has no flow run of its own');
    assert.equal(fold([...events.slice(0, 2), mirrored, ...events.slice(2)])!.prefectFlowRunId, 'flow-run-7');
    assert.equal(fold([...events, mirrored])!.prefectFlowRunId, 'flow-run-7', 'after the run ended too');
    const fromPrefect = eventAt(
      'run.requested',
      runId,
      { taxi: 'yellow', months: [{ year: 2023, month: 3 }], origin: { kind: 'prefect', prefectFlowRunId: 'flow-run-1' } },
      '2026-01-01T00:00:00Z',
    );
    assert.equal(fold([fromPrefect, ...events, mirrored])!.prefectFlowRunId, 'flow-run-1');
  });

  void it('does not change its input state', () => {
    const before = fold(successfulRunEvents(runId).slice(0, 2))!;
    const copy = structuredClone(before);
    applyEvent(before, eventAt('run.cancelled', runId, {}, '2026-01-01T00:00:03Z'));
    assert.deepEqual(before, copy);
  });
});
