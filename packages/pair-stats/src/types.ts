/**
 * Sufficient statistics of the trip duration y per (PULocationID, DOLocationID) pair.
 * Everything the least-squares trainer needs: counts give the co-occurrence matrix,
 * Σy the right-hand side, and m2 (Σ(y − mean)² within the pair) the exact residual sum.
 * Pairs are sorted by (pu, do); every array has one entry per pair.
 */
export interface PairStatistics {
  pu: Int32Array;
  do: Int32Array;
  count: Float64Array;
  sumY: Float64Array;
  sumY2: Float64Array;
  /** Centered sum of squares per pair, Σ(y − ȳ_pair)², computed stably (not Σy² − n·ȳ²). */
  m2: Float64Array;
  /** Rows in the source file(s) before any filter. */
  rowsRead: number;
  /** Free-form provenance (source file, duration bounds, ...); travels in the Arrow schema metadata. */
  metadata: Record<string, string>;
}

export function pairCount(stats: PairStatistics): number {
  return stats.pu.length;
}

/** Rows that survived the filter: Σ count. */
export function rowsKept(stats: PairStatistics): number {
  let total = 0;
  for (const c of stats.count) total += c;
  return total;
}
