import { PipelineError, type Envelope } from '@taxi-mlops/contracts';
import { lastRunEvent } from '@taxi-mlops/coordination';
import type { Bus } from '@taxi-mlops/runtime';
import type { TrainingRunEvents } from './run-record';

/**
 * The run's earlier events, read back from the PIPELINE stream by subject (`lastRunEvent`): each
 * type is published once per run, so nothing is kept in memory and a restarted tracker loses nothing.
 */
export async function readTrainingRunEvents(bus: Bus, trained: Envelope<'model.trained'>, traceId?: string): Promise<TrainingRunEvents> {
  const runId = trained.subject;
  const [requested, downloaded, features, mirrored] = await Promise.all([
    lastRunEvent(bus, 'run.requested', runId),
    lastRunEvent(bus, 'data.downloaded', runId),
    lastRunEvent(bus, 'features.ready', runId),
    lastRunEvent(bus, 'run.mirrored', runId),
  ]);
  const missing = Object.entries({ 'run.requested': requested, 'data.downloaded': downloaded, 'features.ready': features })
    .filter(([, event]) => event === undefined)
    .map(([type]) => type);
  if (!requested || !downloaded || !features) {
    // They precede model.trained causally; absent means the stream lost them (max age) or a producer bug.
    throw new PipelineError('invalid_request', `run ${runId}: no ${missing.join(', ')} event in the stream; cannot record it in MLflow`);
  }
  return { requested, downloaded, features, trained, ...(mirrored ? { mirrored } : {}), ...(traceId ? { traceId } : {}) };
}
