export type { PairStatistics } from './types';
export { pairCount, rowsKept } from './types';
export { decodePairStatistics, encodePairStatistics, readPairStatistics, writePairStatistics } from './arrow-file';
export { mergePairStatistics } from './merge';
export { DROPOFF_COLUMN, PICKUP_COLUMN, dropoffFeatureName, pickupFeatureName, vocabularyOf } from './vocabulary';
