// Typed wrapper of python/reference_homework.py (the homework's sklearn code + the exact min-norm fit).
import { runPythonJson } from './python';

export interface ReferenceSampleRow {
  PULocationID: number;
  DOLocationID: number;
  y: number;
  sklearn: number;
  exact: number;
}

export interface ReferenceResult {
  file: string;
  rows_loaded: number;
  rows_prepared: number;
  fraction_kept: number;
  duration_mean: number;
  duration_std: number;
  n_features: number;
  feature_names: string[];
  sklearn_intercept: number;
  sklearn_rmse_train: number;
  exact_method: 'dense_lstsq' | 'pair_aggregated_lstsq';
  exact_rank: number;
  exact_intercept: number;
  exact_rmse_train: number;
  exact_coefficients: number[];
  sample: ReferenceSampleRow[];
  validation?: {
    file: string;
    rows_loaded: number;
    rows_prepared: number;
    sklearn_rmse_val: number;
    exact_rmse_val: number;
  };
  versions: Record<string, string>;
  seconds: number;
}

export interface ReferenceOptions {
  validationFile?: string;
  sample?: number;
  seed?: number;
  exactDenseLimit?: number;
}

export function runReference(tripFile: string, options: ReferenceOptions = {}): Promise<ReferenceResult> {
  const args = [tripFile, '--sample', String(options.sample ?? 500), '--seed', String(options.seed ?? 0)];
  if (options.validationFile) args.push('--validation', options.validationFile);
  if (options.exactDenseLimit !== undefined) args.push('--exact-dense-limit', String(options.exactDenseLimit));
  return runPythonJson<ReferenceResult>('ref', 'reference_homework.py', args);
}
