import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  PipelineError,
  formatYearMonth,
  monthIndex,
  monthsBetween,
  SCHEMA_VERSION,
  createEvent,
  deadLetterSubject,
  eventTypes,
  isPipelineError,
  messageIdFor,
  parseEvent,
  runSubjectFilter,
  subjectFilterFor,
  subjectFor,
} from '../src/index';

const downloaded = {
  taxi: 'green' as const,
  files: [{ year: 2023, month: 1, uri: 'file:///d.parquet', sha256: 'f'.repeat(64), bytes: 100, rows: 5, sourceUrl: 'https://x/d.parquet' }],
  durationMs: 3,
};

void describe('createEvent / parseEvent', () => {
  void it('round-trips an event through JSON', () => {
    const event = createEvent('data.downloaded', 'run-1', downloaded, '/services/ingest');
    assert.equal(event.specversion, '1.0');
    assert.equal(event.subject, 'run-1');
    assert.equal(event.schemaversion, SCHEMA_VERSION);
    assert.equal(event.datacontenttype, 'application/json');
    assert.match(event.id, /^[0-9a-f-]{36}$/);

    const parsed = parseEvent('data.downloaded', JSON.parse(JSON.stringify(event)));
    assert.deepEqual(parsed, { ok: true, event });
  });

  void it('fills defaults on the way out', () => {
    const event = createEvent('run.requested', 'run-1', { taxi: 'yellow', months: [{ year: 2023, month: 1 }], origin: { kind: 'cli' } }, '/cli');
    assert.equal(event.data.stopAfter, 'train');
  });

  void it('names each bad field in the reason', () => {
    const event = createEvent('data.downloaded', 'run-1', downloaded, '/services/ingest');
    const bad = { ...event, id: '', data: { ...downloaded, files: [{ ...downloaded.files[0], sha256: 'XYZ' }], durationMs: -1 } };
    const parsed = parseEvent('data.downloaded', bad);
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.match(parsed.reason, /(^|; )id: /);
    assert.match(parsed.reason, /data\.files\.0\.sha256: sha256: 64 lowercase hex digits/);
    assert.match(parsed.reason, /data\.durationMs: /);
  });

  void it('rejects an event of another type and a non-object', () => {
    const event = createEvent('run.completed', 'run-1', {}, '/x');
    const parsed = parseEvent('run.failed', event);
    assert.equal(parsed.ok, false);
    assert.match(!parsed.ok ? parsed.reason : '', /type: /);
    assert.deepEqual(parseEvent('run.completed', 'nope'), { ok: false, reason: '(root): Invalid input: expected object, received string' });
  });

  void it('refuses to create an event with a run id that cannot be a subject token', () => {
    assert.throws(() => createEvent('run.completed', 'a.b', {}, '/x'), /run id/);
    assert.throws(() => createEvent('run.completed', 'a*', {}, '/x'), /run id/);
  });

  void it('refuses to create an event with bad data', () => {
    assert.throws(() => createEvent('stage.started', 'run-1', { stage: 'ingest', attempt: 0 }, '/x'), /attempt/);
  });
});

void describe('subjects', () => {
  void it('puts the type and the run id in the subject', () => {
    assert.equal(subjectFor('run.requested', 'r1'), 'pipeline.run.requested.r1');
    assert.equal(subjectFor('features.ready', 'r1'), 'pipeline.features.ready.r1');
  });

  void it('filters one type with a wildcard run id, one run with wildcard types', () => {
    assert.equal(subjectFilterFor('model.trained'), 'pipeline.model.trained.*');
    assert.equal(runSubjectFilter('r1'), 'pipeline.*.*.r1');
    for (const type of eventTypes) {
      const tokens = subjectFor(type, 'r1').split('.');
      assert.equal(tokens.length, 4, `${type}: every subject has 4 tokens so the run filter matches it`);
      assert.ok(matches(subjectFilterFor(type), subjectFor(type, 'r1')));
      assert.ok(matches(runSubjectFilter('r1'), subjectFor(type, 'r1')));
      assert.ok(!matches(runSubjectFilter('r2'), subjectFor(type, 'r1')));
    }
  });

  void it('keeps the original subject in the dead-letter subject', () => {
    assert.equal(deadLetterSubject('pipeline.run.requested.r1'), 'dlq.pipeline.run.requested.r1');
  });

  void it('derives message ids from type, run and an optional discriminator', () => {
    assert.equal(messageIdFor('run.failed', 'r1'), 'r1:run.failed');
    assert.equal(messageIdFor('stage.started', 'r1', 'ingest:2'), 'r1:stage.started:ingest:2');
  });
});

void describe('PipelineError', () => {
  void it('carries a stable code and knows whether a retry can help', () => {
    const error = new PipelineError('unreachable', 'd37ci6vzurychx.cloudfront.net: connection refused');
    assert.ok(isPipelineError(error));
    assert.equal(error.transient, true);
    assert.equal(new PipelineError('invalid_schema', 'column trip_distance is missing').transient, false);
    assert.equal(isPipelineError(new Error('x')), false);
  });
});

/** NATS subject matching for `*` (one token) and `>` (the rest). */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

void describe('months', () => {
  void it('writes months as YYYY-MM', () => {
    assert.equal(formatYearMonth({ year: 2023, month: 3 }), '2023-03');
    assert.equal(formatYearMonth({ year: 2009, month: 12 }), '2009-12');
  });

  void it('lists a range across a year boundary, both ends included, and nothing for a reversed one', () => {
    assert.deepEqual(monthsBetween({ year: 2022, month: 11 }, { year: 2023, month: 2 }).map(formatYearMonth), ['2022-11', '2022-12', '2023-01', '2023-02']);
    assert.deepEqual(monthsBetween({ year: 2023, month: 3 }, { year: 2023, month: 3 }), [{ year: 2023, month: 3 }]);
    assert.deepEqual(monthsBetween({ year: 2023, month: 3 }, { year: 2023, month: 2 }), []);
    assert.equal(monthIndex({ year: 2023, month: 1 }) - monthIndex({ year: 2022, month: 12 }), 1);
  });
});
