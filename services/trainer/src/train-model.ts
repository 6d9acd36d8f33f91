import { PipelineError } from '@taxi-mlops/contracts';
import { inSpan, STAGE_ATTRIBUTES } from '@taxi-mlops/tracing';
import { writeModelDirectory } from '@taxi-mlops/model-format';
import { mergePairStatistics, readPairStatistics } from '@taxi-mlops/pair-stats';
import { solveMinimumNorm } from './minimum-norm';
import { rmseOnStatistics } from './rmse';

export interface TrainRequest {
  /** One statistics artifact per training month; they are summed. */
  statsPaths: string[];
  validationStatsPath?: string;
  /** New (or empty) directory for the MLflow model. */
  modelDir: string;
}

export interface TrainedModel {
  intercept: number;
  featureNames: string[];
  coefficients: Float64Array;
  nFeatures: number;
  rowsTrain: number;
  rmseTrain: number;
  rmseVal: number | null;
  modelDir: string;
  modelSizeBytes: number;
}

export async function trainModel(request: TrainRequest): Promise<TrainedModel> {
  if (request.statsPaths.length === 0) throw new PipelineError('invalid_request', 'statsPaths is empty: nothing to train on');
  const months = await Promise.all(request.statsPaths.map((path) => readPairStatistics(path)));
  const training = months.length === 1 ? months[0]! : mergePairStatistics(months);
  const solution = await inSpan('solver exact-min-norm', { [STAGE_ATTRIBUTES.pairs]: training.pu.length }, (span) => {
    const solved = solveMinimumNorm(training);
    span.setAttributes({ [STAGE_ATTRIBUTES.rowsTrain]: solved.rows, [STAGE_ATTRIBUTES.features]: solved.featureNames.length, 'pipeline.solver.components': solved.components });
    return solved;
  });
  const model = { intercept: solution.intercept, featureNames: solution.featureNames, coefficients: solution.coefficients };
  const rmseTrain = rmseOnStatistics(model, training);
  const rmseVal = request.validationStatsPath ? rmseOnStatistics(model, await readPairStatistics(request.validationStatsPath)) : null;

  const written = await writeModelDirectory({
    dir: request.modelDir,
    ...model,
    metadata: { n_features: solution.featureNames.length, rows_train: solution.rows, components: solution.components },
  });
  return {
    ...model,
    nFeatures: solution.featureNames.length,
    rowsTrain: solution.rows,
    rmseTrain,
    rmseVal,
    modelDir: request.modelDir,
    modelSizeBytes: written.modelSizeBytes,
  };
}
