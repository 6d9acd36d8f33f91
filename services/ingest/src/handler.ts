import { inSpan, STAGE_ATTRIBUTES, type Handler } from '@taxi-mlops/runtime';
import type { Bus } from '@taxi-mlops/runtime';
import type { ArtifactLayout } from '@taxi-mlops/artifact-store';
import { emitOnce, emitStageStarted, isCancelled, lastRunEvent } from '@taxi-mlops/coordination';
import { ingestRun, type Exclusive } from './ingest-run';

export interface IngestHandlerDeps {
  bus: Bus;
  layout: ArtifactLayout;
  baseUrl?: string;
  exclusive: Exclusive;
}

/**
 * run.requested → stage.started(ingest), data.downloaded, and run.completed for a download-only
 * run. A redelivery after data.downloaded was stored re-downloads nothing; a cancelled run is
 * acknowledged without any further event.
 */
export function ingestHandler({ bus, layout, baseUrl, exclusive }: IngestHandlerDeps): Handler<'run.requested'> {
  return async (event, ctx) => {
    const runId = event.subject;
    if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled; ingest not started');

    if (!(await lastRunEvent(bus, 'data.downloaded', runId))) {
      await emitStageStarted(bus, runId, 'ingest', ctx.attempt);
      const started = performance.now();
      const result = await inSpan('ingest files', { 'pipeline.stage': 'ingest' }, async (span) => {
        const ingested = await ingestRun(event.data, { layout, exclusive, signal: ctx.signal, ...(baseUrl === undefined ? {} : { baseUrl }) });
        const files = [...ingested.files, ...(ingested.validation ? [ingested.validation] : [])];
        span.setAttributes({
          [STAGE_ATTRIBUTES.files]: files.length,
          [STAGE_ATTRIBUTES.rowsRead]: files.reduce((sum, file) => sum + file.rows, 0),
          [STAGE_ATTRIBUTES.bytes]: files.reduce((sum, file) => sum + file.bytes, 0),
        });
        return ingested;
      });
      if (await isCancelled(bus, runId)) return ctx.logger.info('run was cancelled during ingest; data.downloaded not emitted');
      await emitOnce(bus, 'data.downloaded', runId, { ...result, durationMs: performance.now() - started });
      ctx.logger.info({ files: result.files.length, validation: Boolean(result.validation) }, 'data downloaded');
    }

    if (event.data.stopAfter === 'ingest' && !(await isCancelled(bus, runId))) {
      await emitOnce(bus, 'run.completed', runId, {});
    }
  };
}
