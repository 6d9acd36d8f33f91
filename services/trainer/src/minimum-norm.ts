import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { PipelineError } from '@taxi-mlops/contracts';
import type { PairStatistics } from '@taxi-mlops/pair-stats';
import { type PairDesign, pairDesign } from './design';
import { componentLabels, dot, nullSpaceBasis } from './null-space';

export interface LinearSolution {
  intercept: number;
  /** In DictVectorizer order (featureNames). */
  coefficients: Float64Array;
  featureNames: string[];
  /** Rows behind the statistics (Σ count). */
  rows: number;
  /** Connected components of the PU–DO graph; the null space has components + 1 dimensions. */
  components: number;
}

/**
 * The minimum-norm least-squares solution of the centered one-hot problem, the solution that
 * sklearn's LinearRegression approaches (via LSQR from x0 = 0) on DictVectorizer output.
 *
 * Normal equations from the statistics: G = C − n·μμᵀ with C the co-occurrence counts, and
 * g = s − N·ȳ. G is singular exactly on the known null space Z, so (G + c·ZZᵀ)w = g is
 * positive definite; since g ⊥ Z its solution satisfies Zᵀw = 0 and Gw = g, i.e. w = pinv(G)·g.
 */
export function solveMinimumNorm(stats: PairStatistics): LinearSolution {
  const design = pairDesign(stats);
  const p = design.featureNames.length;
  const { count, sumY } = stats;
  let n = 0;
  let totalY = 0;
  for (let i = 0; i < count.length; i++) {
    n += count[i]!;
    totalY += sumY[i]!;
  }
  if (!(n > 0) || p === 0) throw new PipelineError('empty_dataset', 'statistics hold no rows to train on');
  const meanY = totalY / n;

  const columnCount = new Float64Array(p);
  const columnSum = new Float64Array(p);
  const gram = new Matrix(p, p);
  for (let i = 0; i < count.length; i++) {
    if (!(count[i]! > 0)) continue;
    const pu = design.puColumn[i]!;
    const dropoff = design.doColumn[i]!;
    columnCount[pu]! += count[i]!;
    columnCount[dropoff]! += count[i]!;
    columnSum[pu]! += sumY[i]!;
    columnSum[dropoff]! += sumY[i]!;
    gram.set(pu, dropoff, gram.get(pu, dropoff) + count[i]!);
    gram.set(dropoff, pu, gram.get(dropoff, pu) + count[i]!);
  }
  for (let j = 0; j < p; j++) {
    gram.set(j, j, columnCount[j]!);
    for (let k = 0; k < p; k++) gram.set(j, k, gram.get(j, k) - (columnCount[j]! * columnCount[k]!) / n);
  }
  const rhs = Float64Array.from({ length: p }, (_, j) => columnSum[j]! - columnCount[j]! * meanY);

  const labels = componentLabels(design, count);
  const basis = nullSpaceBasis(design, labels);
  const weights = solveRegularized(gram, rhs, basis);
  const coefficients = projectOut(weights, basis);

  let shift = 0;
  for (let j = 0; j < p; j++) shift += (columnCount[j]! / n) * coefficients[j]!;
  return {
    intercept: meanY - shift,
    coefficients,
    featureNames: design.featureNames,
    rows: n,
    components: basis.length - 1,
  };
}

/** Solves (G + c·ZZᵀ)w = g by Cholesky, with one step of iterative refinement. */
function solveRegularized(gram: Matrix, rhs: Float64Array, basis: Float64Array[]): Float64Array {
  const p = rhs.length;
  let trace = 0;
  for (let j = 0; j < p; j++) trace += gram.get(j, j);
  // c on the scale of G's eigenvalues keeps the regularized matrix well conditioned.
  const c = trace / p || 1;
  const system = gram.clone();
  for (const z of basis) {
    for (let j = 0; j < p; j++) {
      if (z[j] === 0) continue;
      // c·(z_j·z_k) is symmetric bit for bit; (c·z_j)·z_k would not be, and Cholesky checks symmetry exactly.
      for (let k = 0; k < p; k++) system.set(j, k, system.get(j, k) + c * (z[j]! * z[k]!));
    }
  }
  const cholesky = new CholeskyDecomposition(system);
  if (!cholesky.isPositiveDefinite()) {
    throw new PipelineError('training_failed', `normal equations are not positive definite after removing the null space (${p} features)`);
  }
  const solve = (b: Float64Array) => Float64Array.from(cholesky.solve(Matrix.columnVector(Array.from(b))).getColumn(0));
  const first = solve(rhs);
  const residual = Float64Array.from(system.mmul(Matrix.columnVector(Array.from(first))).getColumn(0), (v, j) => rhs[j]! - v);
  const correction = solve(residual);
  const refined = Float64Array.from(first, (v, j) => v + correction[j]!);
  if (!refined.every(Number.isFinite)) throw new PipelineError('training_failed', 'solver produced non-finite coefficients');
  return refined;
}

/** Removes any rounding-level component along the null space: w − Z(Zᵀw). */
function projectOut(weights: Float64Array, basis: Float64Array[]): Float64Array {
  const result = Float64Array.from(weights);
  for (const z of basis) {
    const along = dot(z, result);
    for (let j = 0; j < result.length; j++) result[j]! -= along * z[j]!;
  }
  return result;
}

export type { PairDesign };
