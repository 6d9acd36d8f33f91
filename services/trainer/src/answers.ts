import type { Answers } from '@taxi-mlops/contracts';
import type { TrainedModel } from './train-model';

/** What the answers need of a trained model: `TrainedModel` in process, `model.trained` on the bus. */
export type AnswerSource = Pick<TrainedModel, 'rowsTrain' | 'nFeatures' | 'intercept' | 'rmseTrain' | 'rmseVal' | 'modelSizeBytes'>;

/**
 * The homework's answers, the same keys for the local command's `--json` and `run.completed`:
 * rows loaded are the training months' rows, rows prepared the rows trained on.
 */
export function answersOf(rowsLoaded: number, trained: AnswerSource, modelDir: string): Answers {
  return {
    rows_loaded: rowsLoaded,
    rows_prepared: trained.rowsTrain,
    n_features: trained.nFeatures,
    intercept: trained.intercept,
    rmse_train: trained.rmseTrain,
    rmse_val: trained.rmseVal,
    model_size_bytes: trained.modelSizeBytes,
    model_dir: modelDir,
  };
}
