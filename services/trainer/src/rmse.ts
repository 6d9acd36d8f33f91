import type { PairStatistics } from '@taxi-mlops/pair-stats';
import { dropoffFeatureName, pickupFeatureName } from '@taxi-mlops/pair-stats';

export interface LinearModel {
  intercept: number;
  featureNames: readonly string[];
  coefficients: ArrayLike<number>;
}

/**
 * Exact root-mean-squared error of the model on the rows behind `stats`, from the pair
 * statistics alone: SSE = Σ_pairs m2 + n·(mean − prediction)². Zones the model has no feature
 * for contribute 0, as DictVectorizer.transform ignores unseen categories.
 */
export function rmseOnStatistics(model: LinearModel, stats: PairStatistics): number {
  const weight = new Map<string, number>();
  model.featureNames.forEach((name, j) => weight.set(name, model.coefficients[j]!));
  let squaredErrors = 0;
  let rows = 0;
  for (let i = 0; i < stats.pu.length; i++) {
    const n = stats.count[i]!;
    if (!(n > 0)) continue;
    const prediction = model.intercept + (weight.get(pickupFeatureName(stats.pu[i]!)) ?? 0) + (weight.get(dropoffFeatureName(stats.do[i]!)) ?? 0);
    const gap = stats.sumY[i]! / n - prediction;
    squaredErrors += stats.m2[i]! + n * gap * gap;
    rows += n;
  }
  return Math.sqrt(squaredErrors / rows);
}
