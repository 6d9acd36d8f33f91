// The features service as a process: start-up config check, and a duplicated data.downloaded
// (another message id) gives one features.ready whose statistics are computed once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createEvent, type EventDataInput } from '@taxi-mlops/contracts';
import { sha256OfFile } from '@taxi-mlops/artifact-store';
import { realDataDir, realDataMissing } from '../../../test/support/real-data';
import { E2EStack } from '../../../test/e2e/support/stack';
import { assertExitsNamingMissingVariable } from '../../../test/e2e/support/startup';

void describe('features service', () => {
  void it('exits 78 with one line naming ARTIFACT_ROOT when it is missing', () => assertExitsNamingMissingVariable('features', {}, 'ARTIFACT_ROOT'));

  void describe('two instances, one run delivered twice', { skip: realDataMissing }, () => {
    const stack = new E2EStack({ realDataDir, gateway: false, instances: { ingest: 0, features: 2, trainer: 0 } });
    before(() => stack.start());
    after(() => stack.stop());

    void it('computes the statistics once and emits one features.ready; another run reuses them', { timeout: 60_000 }, async () => {
      const name = 'green_tripdata_2023-01.parquet';
      await mkdir(join(stack.artifactRoot, 'taxi-data'), { recursive: true });
      const path = join(stack.artifactRoot, 'taxi-data', name);
      await copyFile(join(realDataDir, name), path);
      const file = { year: 2023, month: 1, uri: `taxi-data/${name}`, sha256: await sha256OfFile(path), bytes: 1, rows: 1, sourceUrl: 'test' };
      const data: EventDataInput<'data.downloaded'> = { taxi: 'green', files: [file], durationMs: 1 };
      const [first, second] = [`run-${randomBytes(4).toString('hex')}`, `run-${randomBytes(4).toString('hex')}`];
      await Promise.all([1, 2].map((copy) => stack.bus.publish(createEvent('data.downloaded', first, data, '/test'), { msgId: `copy-${copy}` })));
      const ready = await stack.waitForEvent(first, (event) => event.type === 'features.ready', 30_000);
      await stack.bus.publish(createEvent('data.downloaded', second, data, '/test'));
      const again = await stack.waitForEvent(second, (event) => event.type === 'features.ready', 30_000);

      assert.equal(await stack.countEvents('features.ready', first), 1);
      const { durationMs: _a, ...firstData } = ready.data as Record<string, unknown>;
      const { durationMs: _b, ...secondData } = again.data as Record<string, unknown>;
      assert.deepEqual(secondData, firstData, 'the same file gives the same statistics, URI and sha256');
      assert.equal((firstData.months as Array<{ statsUri: string }>)[0]?.statsUri, `pipeline-data/statistics/${file.sha256}-d1-60.arrow`);
      // Every delivery settled: two for the first run (one may find features.ready already stored), one for the second.
      const settled = (runId: string) => (line: Record<string, unknown>) => line.runId === runId && (line.msg === 'features ready' || line.msg === 'features.ready already emitted for this run');
      await stack.waitForLogLines(settled(first), 2);
      await stack.waitForLogLines(settled(second), 1);
      const computed = stack.services.flatMap((service) => service.lines).reduce((sum, line) => sum + (line.msg === 'features ready' ? Number(line.computedMonths) : 0), 0);
      assert.equal(computed, 1, 'the statistics were computed once for three deliveries');
    });

    void it('leaves a download-only run (stopAfter ingest) alone: no stage.started, no features.ready', { timeout: 60_000 }, async () => {
      const runId = `run-${randomBytes(4).toString('hex')}`;
      await stack.bus.publish(createEvent('run.requested', runId, { taxi: 'green', months: [{ year: 2023, month: 1 }], stopAfter: 'ingest', origin: { kind: 'test' } }, '/test'));
      const file = { year: 2023, month: 1, uri: 'taxi-data/green_tripdata_2023-01.parquet', sha256: 'b'.repeat(64), bytes: 1, rows: 1, sourceUrl: 'test' };
      await stack.bus.publish(createEvent('data.downloaded', runId, { taxi: 'green', files: [file], durationMs: 1 }, '/test'));
      await stack.waitForLogLines((line) => line.runId === runId && line.msg === 'download-only run (stopAfter ingest); features not computed', 1);
      assert.equal(await stack.countEvents('stage.started', runId), 0);
      assert.equal(await stack.countEvents('features.ready', runId), 0);
    });
  });
});
