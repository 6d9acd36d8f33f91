import type { Bus, Handler } from '@taxi-mlops/runtime';
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
    const training: ComputedMonth[] = [];
    for (const [i, file] of files.entries()) {
      training.push({ file, features: (await monthStatistics(file, `files.${i}`, layout, exclusive)).features });
      ctx.working();
    }
    const validated = validation ? { file: validation, features: (await monthStatistics(validation, 'validation', layout, exclusive)).features } : undefined;

    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled during features; features.ready not emitted');
    const data = featuresReadyData(layout.root, event.data.taxi, training, validated, performance.now() - started);
    await emitOnce(bus, 'features.ready', runId, data);
    ctx.logger.info({ rowsRead: data.rowsRead, rowsKept: data.rowsKept, nFeatures: data.nFeatures }, 'features ready');
  };
}
