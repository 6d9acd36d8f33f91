import { isPipelineError, messageIdFor, PipelineError, type Envelope } from '@taxi-mlops/contracts';
import type { Bus, HandlerContext, Logger } from '@taxi-mlops/runtime';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import type { MlflowTrackerConfig } from './config';
import { MlflowUnavailableError } from '@taxi-mlops/mlflow-client';
import { recordTrainingRun } from './record-run';
import { lastRunEvent } from '@taxi-mlops/coordination';
import { readTrainingRunEvents } from './run-events';
import { buildTrainingRunRecord } from './run-record';

export interface MlflowTrackerOptions {
  bus: Bus;
  logger: Logger;
  config: MlflowTrackerConfig;
  /** nak delays while MLflow is down; the last repeats. Default 1 s … 60 s. */
  backoffMs?: number[];
  /** Deliveries of one model.trained before a refused request (4xx, bad data) fails the track stage. Default 5. */
  attemptsOnRefusal?: number;
  /** Durable consumer name; default `tracker-bridge-mlflow--model-trained`. */
  durable?: string;
}

export interface MlflowTracker {
  stop(): Promise<void>;
}

/** MLflow being down must never fail a run: deliveries are practically unlimited (60 s apart ≈ 69 days). */
const MAX_DELIVER = 100_000;
const DEFAULT_BACKOFF_MS = [1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000];
const NO_TRACE = /^0+$/;

/**
 * Records every trained model as one MLflow run (params, metrics, tags, dataset inputs, answers,
 * plot, LoggedModel, registry version, champion alias), then publishes `model.tracked`.
 */
export async function startMlflowTracker(options: MlflowTrackerOptions): Promise<MlflowTracker> {
  const { bus, config } = options;
  const logger = options.logger.child({ component: 'mlflow-tracker' });
  if (!config.MLFLOW_ENABLED) {
    logger.info('MLflow tracking disabled (MLFLOW_ENABLED=false)');
    return { stop: async () => {} };
  }
  const attemptsOnRefusal = options.attemptsOnRefusal ?? 5;

  const handle = async (trained: Envelope<'model.trained'>, ctx: HandlerContext) => {
    const started = performance.now();
    const runId = trained.subject;
    if (ctx.attempt === 1) {
      await bus.emit('stage.started', runId, { stage: 'track', attempt: 1 }, { msgId: messageIdFor('stage.started', runId, 'track') });
    }
    const traceId = ctx.span.spanContext().traceId;
    try {
      const events = await readTrainingRunEvents(bus, trained, traceId && !NO_TRACE.test(traceId) ? traceId : undefined);
      const record = buildTrainingRunRecord(events, {
        experimentNamePattern: config.MLFLOW_EXPERIMENT_NAME,
        user: config.MLFLOW_USER,
        artifactRoot: config.ARTIFACT_ROOT,
      });
      const client = new MlflowClient({ trackingUri: config.MLFLOW_TRACKING_URI, signal: ctx.signal });
      const result = await recordTrainingRun(record, {
        client,
        registeredModelName: config.MLFLOW_REGISTERED_MODEL,
        ...(config.MLFLOW_UI_URL ? { uiUrl: config.MLFLOW_UI_URL } : {}),
        onStep: (step) => {
          ctx.working();
          ctx.logger.debug({ step }, 'mlflow step');
        },
      });
      ctx.logger.info({ mlflowRunId: result.mlflowRunId, modelVersion: result.modelVersion, champion: result.champion, recordedNow: result.recordedNow }, 'recorded in MLflow');
      // A redelivery of an already-recorded run does not announce it a second time.
      if (!result.recordedNow && (await lastRunEvent(bus, 'model.tracked', runId))) return;
      await bus.emit('model.tracked', runId, {
        mlflowRunId: result.mlflowRunId,
        experimentId: result.experimentId,
        experimentName: result.experimentName,
        registeredModel: result.registeredModel,
        modelVersion: result.modelVersion,
        champion: result.champion,
        runUrl: result.runUrl,
        durationMs: performance.now() - started,
      });
    } catch (error) {
      throw classify(error, ctx, attemptsOnRefusal);
    }
  };

  const consumer = await bus.consume('model.trained', handle, {
    stage: 'track',
    durable: options.durable ?? 'tracker-bridge-mlflow--model-trained',
    maxDeliver: MAX_DELIVER,
    backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
  });
  logger.info({ trackingUri: config.MLFLOW_TRACKING_URI, experiment: config.MLFLOW_EXPERIMENT_NAME, model: config.MLFLOW_REGISTERED_MODEL }, 'MLflow tracker started');
  return { stop: () => consumer.stop() };
}

/**
 * What the runtime should do with a failure: MLflow unreachable → retry (plain error, nak with
 * backoff) for as long as it takes; refused or unexpected → retry a few times, then fail the
 * track stage (a non-transient PipelineError makes the runtime publish run.failed).
 */
function classify(error: unknown, ctx: HandlerContext, attemptsOnRefusal: number): unknown {
  if (error instanceof MlflowUnavailableError) {
    ctx.logger.warn({ err: error.message, attempt: ctx.attempt }, 'MLflow unavailable; will retry');
    return error;
  }
  if (isPipelineError(error) && !error.transient) return error;
  if (ctx.attempt < attemptsOnRefusal) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PipelineError('internal', `MLflow tracking failed after ${ctx.attempt} attempts: ${message}`, { cause: error });
}
