import { Matrix, pseudoInverse } from 'ml-matrix';
import type { PairStatistics } from '@taxi-mlops/pair-stats';

export interface Trip {
  pu: number;
  do: number;
  y: number;
}

export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Trips whose zones are drawn from the given pools, with a zone-dependent mean plus noise. */
export function tripsFrom(pools: { pu: number[]; do: number[] }, count: number, seed: number): Trip[] {
  const next = lcg(seed);
  const pick = (values: number[]) => values[Math.floor(next() * values.length)]!;
  return Array.from({ length: count }, () => {
    const pu = pick(pools.pu);
    const dropoff = pick(pools.do);
    return { pu, do: dropoff, y: 5 + (pu % 7) * 1.5 + (dropoff % 5) * 2.25 + next() * 10 };
  });
}

/** Sufficient statistics straight from the definition (two passes per pair). */
export function statisticsOf(trips: readonly Trip[]): PairStatistics {
  const groups = new Map<string, Trip[]>();
  for (const t of trips) groups.set(`${t.pu},${t.do}`, [...(groups.get(`${t.pu},${t.do}`) ?? []), t]);
  const rows = [...groups.values()].map((group) => {
    const mean = group.reduce((s, t) => s + t.y, 0) / group.length;
    return {
      pu: group[0]!.pu,
      do: group[0]!.do,
      count: group.length,
      sumY: group.reduce((s, t) => s + t.y, 0),
      sumY2: group.reduce((s, t) => s + t.y * t.y, 0),
      m2: group.reduce((s, t) => s + (t.y - mean) ** 2, 0),
    };
  });
  return {
    pu: Int32Array.from(rows, (r) => r.pu),
    do: Int32Array.from(rows, (r) => r.do),
    count: Float64Array.from(rows, (r) => r.count),
    sumY: Float64Array.from(rows, (r) => r.sumY),
    sumY2: Float64Array.from(rows, (r) => r.sumY2),
    m2: Float64Array.from(rows, (r) => r.m2),
    rowsRead: trips.length,
    metadata: {},
  };
}

export interface DenseSolution {
  featureNames: string[];
  coefficients: number[];
  intercept: number;
}

/**
 * The reference: build the explicit one-hot rows (DictVectorizer names sorted as strings), center
 * them, and take the pseudo-inverse (SVD) solution, which is the minimum-norm least-squares one.
 */
export function denseMinimumNorm(trips: readonly Trip[]): DenseSolution {
  const featureNames = [...new Set(trips.flatMap((t) => [`PULocationID=${t.pu}`, `DOLocationID=${t.do}`]))].sort();
  const column = new Map(featureNames.map((name, j) => [name, j]));
  const x = new Matrix(trips.length, featureNames.length);
  trips.forEach((t, i) => {
    x.set(i, column.get(`PULocationID=${t.pu}`)!, 1);
    x.set(i, column.get(`DOLocationID=${t.do}`)!, 1);
  });
  const mu = x.mean('column');
  const meanY = trips.reduce((s, t) => s + t.y, 0) / trips.length;
  const centered = x.clone().subRowVector(mu);
  const yc = Matrix.columnVector(trips.map((t) => t.y - meanY));
  const w = pseudoInverse(centered).mmul(yc).getColumn(0);
  const intercept = meanY - w.reduce((s, wj, j) => s + wj * mu[j]!, 0);
  return { featureNames, coefficients: w, intercept };
}

export function predictDense(model: DenseSolution, trip: { pu: number; do: number }): number {
  const weight = (name: string) => {
    const j = model.featureNames.indexOf(name);
    return j < 0 ? 0 : model.coefficients[j]!;
  };
  return model.intercept + weight(`PULocationID=${trip.pu}`) + weight(`DOLocationID=${trip.do}`);
}

export function rmseDense(model: DenseSolution, trips: readonly Trip[]): number {
  return Math.sqrt(trips.reduce((s, t) => s + (t.y - predictDense(model, t)) ** 2, 0) / trips.length);
}
