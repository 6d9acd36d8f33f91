// The trainer as a process: start-up config check, and two trainers given the same run twice at
// once (a duplicate features.ready with another message id) train it once and report it once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createEvent, type EventDataInput } from '@taxi-mlops/contracts';
import { writePairStatistics } from '@taxi-mlops/pair-stats';
import { sha256OfFile } from '@taxi-mlops/artifact-store';
import { E2EStack } from '../../../test/e2e/support/stack';
import { assertExitsNamingMissingVariable } from '../../../test/e2e/support/startup';

void describe('trainer service', () => {
  void it('exits 78 with one line naming ARTIFACT_ROOT when it is missing', () => assertExitsNamingMissingVariable('trainer', {}, 'ARTIFACT_ROOT'));

  void describe('two instances, one run delivered twice', () => {
    // TRAINER_TEST_DELAY_MS holds the lease long enough for the second delivery to meet it.
    const stack = new E2EStack({ realDataDir: '/nonexistent', gateway: false, instances: { ingest: 0, features: 0, trainer: 2 }, serviceEnv: { trainer: { TRAINER_TEST_DELAY_MS: '1500' } } });
    before(() => stack.start());
    after(() => stack.stop());

    void it('trains once, emits one model.trained and one run.completed', { timeout: 60_000 }, async () => {
      const statsDir = join(stack.artifactRoot, 'pipeline-data', 'statistics');
      await mkdir(statsDir, { recursive: true });
      const statsPath = join(statsDir, 'synthetic-d1-60.arrow');
      // Three zones, four pairs: enough for a model with an intercept and six one-hot features.
      await writePairStatistics(statsPath, {
        pu: Int32Array.from([1, 1, 2, 3]),
        do: Int32Array.from([2, 3, 3, 1]),
        count: Float64Array.from([10, 5, 8, 4]),
        sumY: Float64Array.from([100, 80, 120, 30]),
        sumY2: Float64Array.from([1100, 1400, 1900, 260]),
        m2: Float64Array.from([100, 120, 100, 35]),
        rowsRead: 30,
        metadata: {},
      });
      const runId = `run-${randomBytes(4).toString('hex')}`;
      const data: EventDataInput<'features.ready'> = {
        taxi: 'green',
        months: [{ year: 2023, month: 3, statsUri: 'pipeline-data/statistics/synthetic-d1-60.arrow', sha256: await sha256OfFile(statsPath), rowsRead: 30, rowsKept: 27 }],
        rowsRead: 30,
        rowsKept: 27,
        nFeatures: 6,
        durationMs: 1,
      };
      // Two distinct messages (the stream's duplicate detection cannot merge them).
      await Promise.all([1, 2].map((copy) => stack.bus.publish(createEvent('features.ready', runId, data, '/test'), { msgId: `copy-${copy}` })));

      const completed = await stack.waitForEvent(runId, (event) => event.type === 'run.completed', 30_000);
      const trainers = stack.services;
      // Both deliveries are settled once each instance logged its outcome for the run.
      const outcomes = await Promise.all(trainers.map((trainer) => trainer.waitForLine((line) => line.runId === runId && line.msg === 'model trained', 'outcome', 30_000)));
      const trainedFresh = trainers.flatMap((trainer) => trainer.lines.filter((line) => line.runId === runId && line.msg === 'model trained' && line.reused === false));
      assert.equal(trainedFresh.length, 1, `one training, outcomes: ${JSON.stringify(outcomes)}`);
      const waited = trainers.some((trainer) => trainer.lines.some((line) => line.msg === 'waiting for another trainer training this model'));
      assert.ok(waited, 'the second delivery met the first one’s lease');
      assert.equal(await stack.countEvents('model.trained', runId), 1);
      assert.equal(await stack.countEvents('run.completed', runId), 1);
      const answers = (completed.data as { answers: { rows_loaded: number; n_features: number } }).answers;
      assert.equal(answers.rows_loaded, 30);
      assert.equal(answers.n_features, 6);
    });
  });
});
