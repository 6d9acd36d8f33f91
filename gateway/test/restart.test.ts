import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '@taxi-mlops/runtime';
import { createTestDatabase, publishAll, randomNamespace, startTestGateway, successfulRunEvents, testBus, waitForRun, type TestDatabase } from './support';

void describe('gateway restart', () => {
  let db: TestDatabase;
  let bus: Bus;
  let namespace: string;

  before(async () => {
    db = await createTestDatabase();
    namespace = randomNamespace();
    bus = await testBus(namespace);
  });
  after(async () => {
    await bus?.deleteStreams();
    await bus?.close();
    await db?.drop();
  });

  void it('keeps the state and catches up on the events published while it was down', { timeout: 60_000 }, async () => {
    const first = await startTestGateway({ databaseUrl: db.url, namespace });
    let runId: string;
    let events: ReturnType<typeof successfulRunEvents>;
    try {
      const response = await first.app.inject({ method: 'POST', url: '/runs', payload: { taxi: 'yellow', year: 2023, month: 3 } });
      runId = response.json<{ runId: string }>().runId;
      events = successfulRunEvents(runId);
      await publishAll(bus, events.slice(0, 2));
      await waitForRun(first, runId, 'first events projected', (r) => r.eventCount === 3);
    } finally {
      await first.stop();
    }

    // While no gateway runs, the pipeline goes on.
    await publishAll(bus, events.slice(2));

    const second = await startTestGateway({ databaseUrl: db.url, namespace });
    try {
      const run = await waitForRun(second, runId, 'backlog projected', (r) => r.status === 'completed');
      assert.equal(run.eventCount, 1 + events.length, 'every event once');
      assert.equal((run.answers as { n_features: number }).n_features, 519);
      assert.equal((run.stages as unknown[]).length, 4);
    } finally {
      await second.stop();
    }
  });
});
