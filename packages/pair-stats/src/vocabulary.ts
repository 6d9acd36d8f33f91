import type { PairStatistics } from './types';

export const PICKUP_COLUMN = 'PULocationID';
export const DROPOFF_COLUMN = 'DOLocationID';

export function pickupFeatureName(id: number): string {
  return `${PICKUP_COLUMN}=${id}`;
}

export function dropoffFeatureName(id: number): string {
  return `${DROPOFF_COLUMN}=${id}`;
}

/**
 * DictVectorizer's feature names for the pairs that occur: `DOLocationID=<id>` and
 * `PULocationID=<id>` of every id seen, sorted as strings (so "…=10" < "…=2" and all DO
 * names come before all PU names). Pairs with count 0 are not "seen".
 */
export function vocabularyOf(stats: Pick<PairStatistics, 'pu' | 'do' | 'count'>): string[] {
  const names = new Set<string>();
  for (let i = 0; i < stats.pu.length; i++) {
    if (!(stats.count[i]! > 0)) continue;
    names.add(pickupFeatureName(stats.pu[i]!));
    names.add(dropoffFeatureName(stats.do[i]!));
  }
  // Code-unit order equals Python's code-point order for these ASCII names.
  return [...names].sort();
}
