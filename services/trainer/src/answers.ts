import type { Answers, EventData } from '@taxi-mlops/contracts';

/**
 * The homework's answers from the run's own events - the same numbers and keys as the local
 * command's `--json`: rows loaded are the training months' rows, rows prepared the rows trained on.
 */
export function answersOf(features: EventData<'features.ready'>, trained: EventData<'model.trained'>, modelDir: string): Answers {
  return {
    rows_loaded: features.rowsRead,
    rows_prepared: trained.rowsTrain,
    n_features: trained.nFeatures,
    intercept: trained.intercept,
    rmse_train: trained.rmseTrain,
    rmse_val: trained.rmseVal,
    model_size_bytes: trained.modelSizeBytes,
    model_dir: modelDir,
  };
}
