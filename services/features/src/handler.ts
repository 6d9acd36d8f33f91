import type { DownloadedFile } from '@taxi-mlops/contracts';
import { inSpan, STAGE_ATTRIBUTES, type Bus, type Handler } from '@taxi-mlops/runtime';
import type { ArtifactLayout } from '@taxi-mlops/artifact-store';
import { emitOnce, emitStageStarted, isCancelled, lastRunEvent } from '@taxi-mlops/coordination';
import { featuresReadyData, type ComputedMonth } from './features-ready';
import { monthStatistics, type Exclusive } from './statistics-cache';

export interface FeaturesHandlerDeps {
  bus: Bus;
  layout: ArtifactLayout;
  exclusive: Exclusive;
}

/**
 * data.downloaded → stage.started(features), features.ready. Statistics already computed (for this
 * run or any other with the same file) are reused; a run with features.ready stored or a cancelled
 * run is acknowledged without doing anything.
 */
export function featuresHandler({ bus, layout, exclusive }: FeaturesHandlerDeps): Handler<'data.downloaded'> {
  return async (event, ctx) => {
    const runId = event.subject;
    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled; features not started');
    if (await lastRunEvent(bus, 'features.ready', runId)) return ctx.logger.info('features.ready already emitted for this run');

    await emitStageStarted(bus, runId, 'features', ctx.attempt);
    const started = performance.now();
    const { files, validation } = event.data;
    let computedMonths = 0;
    const statistics = async (file: DownloadedFile, field: string): Promise<ComputedMonth> => {
      const { features, reused } = await inSpan('features month statistics', { 'pipeline.stage': 'features', 'pipeline.month': `${file.year}-${String(file.month).padStart(2, '0')}` }, async (span) => {
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
