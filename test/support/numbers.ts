// Closeness assertions with messages that say what differed and by how much.
import assert from 'node:assert/strict';

export function relativeGap(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
}

export function assertRelativelyClose(actual: number, expected: number, tolerance: number, what: string): void {
  const gap = relativeGap(actual, expected);
  assert.ok(gap <= tolerance, `${what}: ${actual} vs ${expected} (relative gap ${gap.toExponential(3)} > ${tolerance})`);
}

export function assertAbsolutelyClose(actual: number, expected: number, tolerance: number, what: string): void {
  const gap = Math.abs(actual - expected);
  assert.ok(gap <= tolerance, `${what}: ${actual} vs ${expected} (gap ${gap.toExponential(3)} > ${tolerance})`);
}

/** Element-wise absolute closeness; reports the worst element (a NaN on either side fails). */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let worst = -1;
  let worstGap = 0;
  for (let i = 0; i < expected.length; i++) {
    const gap = Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? Number.NaN));
    if (Number.isNaN(gap)) assert.fail(`${what}: element ${i} is NaN (${actual[i]} vs ${expected[i]})`);
    if (gap > worstGap) {
      worstGap = gap;
      worst = i;
    }
  }
  assert.ok(
    worstGap <= tolerance,
    `${what}: worst element ${worst}: ${actual[worst]} vs ${expected[worst]} (gap ${worstGap} > ${tolerance})`,
  );
}
