import type { PairDesign } from './design';

/**
 * Connected components of the bipartite PU–DO graph (features are vertices, pairs are edges),
 * by union-find. Returns a component label per feature column, labels 0..k−1.
 */
export function componentLabels(design: PairDesign, count: Float64Array): Int32Array {
  const p = design.featureNames.length;
  const parent = Int32Array.from({ length: p }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!; // path halving
      x = parent[x]!;
    }
    return x;
  };
  for (let i = 0; i < design.puColumn.length; i++) {
    if (!(count[i]! > 0)) continue;
    const a = find(design.puColumn[i]!);
    const b = find(design.doColumn[i]!);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const labelOfRoot = new Map<number, number>();
  return Int32Array.from({ length: p }, (_, j) => {
    const root = find(j);
    if (!labelOfRoot.has(root)) labelOfRoot.set(root, labelOfRoot.size);
    return labelOfRoot.get(root)!;
  });
}

/**
 * An orthonormal basis of the null space of the centered design Xc. Every row has one PU and
 * one DO feature, so Xc·1_PU = Xc·1_DO = 0; each further component C adds 1_PU∩C − 1_DO∩C.
 * Returned as rows (each a vector of length p), orthonormalized by modified Gram–Schmidt.
 */
export function nullSpaceBasis(design: PairDesign, labels: Int32Array): Float64Array[] {
  const p = design.featureNames.length;
  const components = labels.reduce((max, label) => Math.max(max, label + 1), 0);
  const vectors: Float64Array[] = [
    Float64Array.from({ length: p }, (_, j) => (design.isPickup[j] ? 1 : 0)),
    Float64Array.from({ length: p }, (_, j) => (design.isPickup[j] ? 0 : 1)),
  ];
  for (let component = 1; component < components; component++) {
    vectors.push(Float64Array.from({ length: p }, (_, j) => (labels[j] === component ? (design.isPickup[j] ? 1 : -1) : 0)));
  }
  const basis: Float64Array[] = [];
  for (const vector of vectors) {
    // Two Gram–Schmidt passes ("twice is enough") keep the basis orthogonal to rounding.
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const projection = dot(q, vector);
        for (let j = 0; j < p; j++) vector[j]! -= projection * q[j]!;
      }
    }
    const norm = Math.sqrt(dot(vector, vector));
    if (norm < 1e-9) continue; // dependent (cannot happen for a valid design, kept for safety)
    for (let j = 0; j < p; j++) vector[j]! /= norm;
    basis.push(vector);
  }
  return basis;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
