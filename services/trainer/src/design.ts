import { type PairStatistics, dropoffFeatureName, pickupFeatureName, vocabularyOf } from '@taxi-mlops/pair-stats';

/**
 * The one-hot design implied by the pair statistics: DictVectorizer's feature order, and for
 * every pair the column of its pickup and of its drop-off feature.
 */
export interface PairDesign {
  featureNames: string[];
  /** Per pair: column index of `PULocationID=<pu>`. */
  puColumn: Int32Array;
  /** Per pair: column index of `DOLocationID=<do>`. */
  doColumn: Int32Array;
  /** Whether column j is a pickup (PU) feature; the others are drop-off (DO) features. */
  isPickup: boolean[];
}

export function pairDesign(stats: PairStatistics): PairDesign {
  const featureNames = vocabularyOf(stats);
  const column = new Map(featureNames.map((name, index) => [name, index]));
  const pairs = stats.pu.length;
  const puColumn = new Int32Array(pairs);
  const doColumn = new Int32Array(pairs);
  for (let i = 0; i < pairs; i++) {
    // Pairs with count 0 have no column; -1 marks them and they carry no weight anywhere.
    puColumn[i] = column.get(pickupFeatureName(stats.pu[i]!)) ?? -1;
    doColumn[i] = column.get(dropoffFeatureName(stats.do[i]!)) ?? -1;
  }
  return { featureNames, puColumn, doColumn, isPickup: featureNames.map((name) => name.startsWith('PULocationID=')) };
}
