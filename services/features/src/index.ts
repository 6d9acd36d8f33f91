export { buildMonthStatistics } from './build-month-statistics';
export type { MonthFeatures, MonthStatisticsRequest } from './build-month-statistics';
export { detectTripLayout } from './trip-schema';
export type { ParquetColumn, TripLayout } from './trip-schema';
export { cachedMonthStatistics, statisticsKey, DURATION_BOUNDS } from './statistics-cache';
export type { CachedStatistics, CachedStatisticsRequest } from './statistics-cache';
