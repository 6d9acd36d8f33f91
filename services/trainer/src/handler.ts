import { setTimeout as sleep } from 'node:timers/promises';
import { inSpan, STAGE_ATTRIBUTES, type Bus, type Handler, type HandlerContext } from '@taxi-mlops/runtime';
import { resolveArtifactUri, toArtifactUri, type ArtifactLayout } from '@taxi-mlops/artifact-store';
import { emitOnce, emitStageStarted, isCancelled, lastRunEvent } from '@taxi-mlops/coordination';
import { answersOf } from './answers';
import { trainOnce, type Exclusive } from './train-once';

export interface TrainerHandlerDeps {
  bus: Bus;
  layout: ArtifactLayout;
  exclusive: Exclusive;
  /** TEST ONLY (TRAINER_TEST_DELAY_MS): a pause under the lease before training. */
  testDelayMs?: number;
}

/**
 * features.ready → stage.started(train), model.trained, run.completed with the answers. A run
 * whose model.trained is stored only gets its run.completed (re-derived from the stored events);
 * a cancelled run gets nothing more, also when the cancel arrives while it trains.
 */
export function trainerHandler({ bus, layout, exclusive, testDelayMs = 0 }: TrainerHandlerDeps): Handler<'features.ready'> {
  return async (event, ctx) => {
    const runId = event.subject;
    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled; training not started');

    let trained = (await lastRunEvent(bus, 'model.trained', runId))?.data;
    if (!trained) {
      await emitStageStarted(bus, runId, 'train', ctx.attempt);
      const started = performance.now();
      const model = await inSpan('train model', { 'pipeline.stage': 'train', [STAGE_ATTRIBUTES.rowsKept]: event.data.rowsKept }, async (span) => {
        const trained = await trainOnce(event.data, {
          layout,
          exclusive,
          ...(testDelayMs > 0 ? { beforeTraining: () => testDelay(testDelayMs, ctx) } : {}),
        });
        span.setAttributes({ [STAGE_ATTRIBUTES.rowsTrain]: trained.summary.rowsTrain, [STAGE_ATTRIBUTES.features]: trained.summary.nFeatures, [STAGE_ATTRIBUTES.reused]: trained.reused });
        return trained;
      });
      if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled during training; model.trained not emitted');
      const emitted = await emitOnce(bus, 'model.trained', runId, {
        modelUri: toArtifactUri(layout.root, model.modelDir),
        ...model.summary,
        solver: 'exact-min-norm',
        durationMs: performance.now() - started,
      });
      trained = emitted.event.data;
      ctx.logger.info({ modelDir: model.modelDir, reused: model.reused, emitted: emitted.emitted }, 'model trained');
    }

    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled; run.completed not emitted');
    const modelDir = resolveArtifactUri(layout.root, trained.modelUri, 'modelUri');
    await emitOnce(bus, 'run.completed', runId, { answers: answersOf(event.data.rowsRead, trained, modelDir) });
  };
}

/** TEST ONLY: the pause of TRAINER_TEST_DELAY_MS, logged so a test knows the lease is held. */
async function testDelay(delayMs: number, ctx: HandlerContext): Promise<void> {
  ctx.logger.warn({ delayMs }, 'test delay: holding the lease before training');
  await sleep(delayMs, undefined, { signal: ctx.signal });
}
