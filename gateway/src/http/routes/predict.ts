import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isPipelineError } from '@taxi-mlops/contracts';
import { MlflowUnavailableError } from '@taxi-mlops/mlflow-client';
import type { ChampionSnapshot } from '../../predict/champion-predictor';
import type { GatewayDeps } from '../deps';
import { problem, ProblemError } from '../problem';

const ZoneId = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);
const Trip = z.strictObject({
  PULocationID: ZoneId.describe('pickup zone id (an unseen zone contributes 0, as DictVectorizer ignores it)'),
  DOLocationID: ZoneId.describe('drop-off zone id'),
});
const MAX_BATCH = 10_000;
// One object schema (not a union), so a 400 names the bad field instead of "invalid input".
const PredictBody = z
  .strictObject({
    PULocationID: Trip.shape.PULocationID.optional(),
    DOLocationID: Trip.shape.DOLocationID.optional(),
    rows: z.array(Trip).min(1).max(MAX_BATCH).optional().describe(`a batch of up to ${MAX_BATCH} trips`),
  })
  .superRefine((body, ctx) => {
    const single = body.PULocationID !== undefined || body.DOLocationID !== undefined;
    if (body.rows && single) ctx.addIssue({ code: 'custom', path: ['rows'], message: 'give either rows or PULocationID/DOLocationID, not both' });
    if (!body.rows) {
      for (const field of ['PULocationID', 'DOLocationID'] as const) {
        if (body[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'required (or send a batch as rows)' });
      }
    }
  });

const ModelInfo = z.object({ name: z.string(), version: z.string(), uri: z.string() });
const PredictReply = z.union([
  z.object({ duration: z.number().describe('predicted trip duration in minutes'), model: ModelInfo }),
  z.object({ durations: z.array(z.number()), model: ModelInfo }),
]);

/** `POST /predict`: the registry champion's predicted duration for one trip or a batch. */
export function predictRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/predict',
    {
      schema: {
        summary: 'Predict trip durations with the champion model',
        description: `The model behind the MLflow registry alias \`champion\`, reloaded when the alias moves. One trip, or \`{"rows": [...]}\` with up to ${MAX_BATCH} trips.`,
        tags: ['models'],
        body: PredictBody,
        response: { 200: PredictReply },
      },
    },
    async (request) => {
      const champion = await currentChampion(deps);
      const model = { name: champion.registeredModel, version: champion.version, uri: champion.uri };
      const { rows, PULocationID, DOLocationID } = request.body;
      if (rows) return { durations: champion.predictor.predictBatch(rows), model };
      return { duration: champion.predictor.predict(PULocationID!, DOLocationID!), model };
    },
  );
}

async function currentChampion(deps: GatewayDeps): Promise<ChampionSnapshot> {
  if (!deps.champion) throw new ProblemError(problem(503, 'predictions-disabled', 'predictions are off: set MLFLOW_TRACKING_URI so the gateway can load the champion model'));
  try {
    return await deps.champion.current();
  } catch (error) {
    if (isPipelineError(error) && error.code === 'not_found') throw new ProblemError(problem(503, 'no-champion', error.message));
    if (error instanceof MlflowUnavailableError) throw new ProblemError(problem(503, 'mlflow-unavailable', `the model registry is unreachable: ${error.message}`));
    throw error;
  }
}
