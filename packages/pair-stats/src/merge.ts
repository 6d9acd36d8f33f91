import type { PairStatistics } from './types';

interface Accumulator {
  pu: number;
  do: number;
  count: number;
  sumY: number;
  sumY2: number;
  m2: number;
}

/**
 * Sums several months into one set of statistics. Counts and sums add; the centered sums of
 * squares combine with the parallel-variance formula (Chan et al.):
 * m2 = m2_a + m2_b + δ²·n_a·n_b/(n_a + n_b), δ = mean_b − mean_a.
 */
export function mergePairStatistics(list: readonly PairStatistics[]): PairStatistics {
  const byPair = new Map<string, Accumulator>();
  let rowsRead = 0;
  for (const stats of list) {
    rowsRead += stats.rowsRead;
    for (let i = 0; i < stats.pu.length; i++) {
      const pu = stats.pu[i]!;
      const dropoff = stats.do[i]!;
      const count = stats.count[i]!;
      const sumY = stats.sumY[i]!;
      const key = `${pu},${dropoff}`;
      const existing = byPair.get(key);
      if (!existing) {
        byPair.set(key, { pu, do: dropoff, count, sumY, sumY2: stats.sumY2[i]!, m2: stats.m2[i]! });
        continue;
      }
      const delta = sumY / count - existing.sumY / existing.count;
      existing.m2 += stats.m2[i]! + (delta * delta * existing.count * count) / (existing.count + count);
      existing.count += count;
      existing.sumY += sumY;
      existing.sumY2 += stats.sumY2[i]!;
    }
  }
  const pairs = [...byPair.values()].sort((a, b) => a.pu - b.pu || a.do - b.do);
  return {
    pu: Int32Array.from(pairs, (p) => p.pu),
    do: Int32Array.from(pairs, (p) => p.do),
    count: Float64Array.from(pairs, (p) => p.count),
    sumY: Float64Array.from(pairs, (p) => p.sumY),
    sumY2: Float64Array.from(pairs, (p) => p.sumY2),
    m2: Float64Array.from(pairs, (p) => p.m2),
    rowsRead,
    metadata: { merged_from: String(list.length) },
  };
}
