// The ingest service as a process: start-up config check; a duplicated run.requested downloads
// the month once and emits one data.downloaded; a download-only run completes after ingest.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createEvent, type EventDataInput } from '@taxi-mlops/contracts';
import { realDataDir, realDataMissing } from '../../../test/support/real-data';
import { E2EStack } from '../../../test/e2e/support/stack';
import { assertExitsNamingMissingVariable } from '../../../test/e2e/support/startup';

void describe('ingest service', () => {
  void it('exits 78 with one line naming ARTIFACT_ROOT when it is missing', () => assertExitsNamingMissingVariable('ingest', {}, 'ARTIFACT_ROOT'));

  void describe('two instances', { skip: realDataMissing }, () => {
    const stack = new E2EStack({ realDataDir, gateway: false, instances: { ingest: 2, features: 0, trainer: 0 } });
    before(() => stack.start());
    after(() => stack.stop());

    void it('a download-only request delivered twice downloads once, emits one data.downloaded and completes without answers', { timeout: 60_000 }, async () => {
      const runId = `run-${randomBytes(4).toString('hex')}`;
      const data: EventDataInput<'run.requested'> = { taxi: 'green', months: [{ year: 2021, month: 2 }], validation: { year: 2021, month: 3 }, stopAfter: 'ingest', origin: { kind: 'test' } };
      await Promise.all([1, 2].map((copy) => stack.bus.publish(createEvent('run.requested', runId, data, '/test'), { msgId: `copy-${copy}` })));
      const events = await stack.runEvents(runId, 30_000);
      const completed = events.at(-1);
      assert.equal(completed?.type, 'run.completed');
      assert.deepEqual(completed.data, {}, 'no answers for a download-only run');

      const downloaded = await stack.lastEvent('data.downloaded', runId);
      assert.equal(await stack.countEvents('data.downloaded', runId), 1);
      assert.equal(downloaded?.data.files[0]?.uri, 'taxi-data/green_tripdata_2021-02.parquet');
      assert.equal(downloaded?.data.validation?.uri, 'taxi-data/green_tripdata_2021-03.parquet');
      assert.equal(downloaded?.data.files[0]?.rows, 64_572);
      // Wait for the second delivery to settle too, then count downloads at the mirror.
      await Promise.all(stack.services.map((service) => service.waitForLine((line) => line.runId === runId && line.msg === 'data downloaded', 'handled', 30_000).catch(() => undefined)));
      assert.equal(stack.tlc.requests.get('green_tripdata_2021-02.parquet'), 1, 'downloaded once');
      assert.equal(stack.tlc.requests.get('green_tripdata_2021-03.parquet'), 1, 'validation month downloaded once');
    });
  });
});
