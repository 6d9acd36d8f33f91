/**
 * The champion rule: a new version takes the `champion` alias when its score (validation RMSE,
 * or training RMSE when the run had no validation month) is no worse than the current champion's.
 * A tie moves the alias: the newer model was trained on data at least as recent.
 */
export { CHAMPION_ALIAS } from '@taxi-mlops/mlflow-client';

export interface ChampionDecision {
  take: boolean;
  reason: string;
}

export function decideChampion(candidate: number, current: { version: string; score: number | undefined } | undefined): ChampionDecision {
  if (!Number.isFinite(candidate)) return { take: false, reason: `candidate score ${candidate} is not a finite number` };
  if (!current) return { take: true, reason: 'no champion yet' };
  if (current.score === undefined || !Number.isFinite(current.score)) {
    return { take: true, reason: `champion v${current.version} has no comparable score` };
  }
  if (candidate <= current.score) return { take: true, reason: `score ${candidate} <= champion v${current.version}'s ${current.score}` };
  return { take: false, reason: `score ${candidate} > champion v${current.version}'s ${current.score}` };
}
