import { setTimeout as sleep } from 'node:timers/promises';
import { formatYearMonth, type DownloadedFile } from '@taxi-mlops/contracts';
import { inSpan, STAGE_ATTRIBUTES, type Bus, type Handler, type HandlerContext } from '@taxi-mlops/runtime';
import type { ArtifactLayout } from '@taxi-mlops/artifact-store';
import { emitOnce, emitStageStarted, isCancelled, lastRunEvent } from '@taxi-mlops/coordination';
import { featuresReadyData, type ComputedMonth } from './features-ready';
import { monthStatistics, type Exclusive } from './statistics-cache';

export interface FeaturesHandlerDeps {
  bus: Bus;
  layout: ArtifactLayout;
  exclusive: Exclusive;
  /** TEST ONLY (FEATURES_TEST_DELAY_MS): a pause after stage.started, before the statistics. */
  testDelayMs?: number;
}

/**
 * data.downloaded → stage.started(features), features.ready. Statistics already computed (for this
 * run or any other with the same file) are reused; a run with features.ready stored or a cancelled
 * run is acknowledged without doing anything, and so is a download-only run (`stopAfter: 'ingest'`,
 * the data-download deployment): ingest still emits its data.downloaded, but the run ends there.
 */
export function featuresHandler({ bus, layout, exclusive, testDelayMs = 0 }: FeaturesHandlerDeps): Handler<'data.downloaded'> {
  return async (event, ctx) => {
    const runId = event.subject;
    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled; features not started');
    if (await lastRunEvent(bus, 'features.ready', runId)) return ctx.logger.info('features.ready already emitted for this run');
    // Without this check a data-download run went on to features, training and an MLflow model.
    // The request is looked up rather than carried in data.downloaded, so the event stays as it is.
    if ((await lastRunEvent(bus, 'run.requested', runId))?.data.stopAfter === 'ingest') return ctx.logger.info('download-only run (stopAfter ingest); features not computed');

    await emitStageStarted(bus, runId, 'features', ctx.attempt);
    if (testDelayMs > 0) await testDelay(testDelayMs, ctx);
    const started = performance.now();
    const { files, validation } = event.data;
    let computedMonths = 0;
    const statistics = async (file: DownloadedFile, field: string): Promise<ComputedMonth> => {
      const { features, reused } = await inSpan('features month statistics', { 'pipeline.stage': 'features', 'pipeline.month': formatYearMonth(file) }, async (span) => {
        const month = await monthStatistics(file, field, layout, exclusive);
        span.setAttributes({
          [STAGE_ATTRIBUTES.rowsRead]: month.features.rowsRead,
          [STAGE_ATTRIBUTES.rowsKept]: month.features.rowsKept,
          [STAGE_ATTRIBUTES.features]: month.features.nFeatures,
          [STAGE_ATTRIBUTES.reused]: month.reused,
        });
        return month;
      });
      if (!reused) computedMonths++;
      ctx.working();
      return { file, features };
    };
    const training: ComputedMonth[] = [];
    for (const [i, file] of files.entries()) training.push(await statistics(file, `files.${i}`));
    const validated = validation ? await statistics(validation, 'validation') : undefined;

    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled during features; features.ready not emitted');
    const data = featuresReadyData(layout.root, event.data.taxi, training, validated, performance.now() - started);
    const { emitted } = await emitOnce(bus, 'features.ready', runId, data);
    ctx.logger.info({ rowsRead: data.rowsRead, rowsKept: data.rowsKept, nFeatures: data.nFeatures, computedMonths, emitted }, 'features ready');
  };
}

/** TEST ONLY: the pause of FEATURES_TEST_DELAY_MS, logged so a test knows the features stage is running. */
async function testDelay(delayMs: number, ctx: HandlerContext): Promise<void> {
  ctx.logger.warn({ delayMs }, 'test delay: features waits before computing the statistics');
  await sleep(delayMs, undefined, { signal: ctx.signal });
}
