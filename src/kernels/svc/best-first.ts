// The `count` best of n scores, best first, without sorting all n: the SMO solver's prefetch
// hints want the few most violating of thousands of active points on every kernel-row miss.

/**
 * Positions of the `count` largest of `score[0..n)`, largest first, ties in ascending position:
 * the first `count` of a stable sort by descending score. `count` ≥ n sorts them all.
 */
export function bestFirst(score: Float64Array, n: number, count: number): number[] {
  if (!(count >= 1)) return [];
  if (count >= n) return Array.from({ length: n }, (_, k) => k).sort((p, q) => score[q]! - score[p]!);
  const best: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = score[k]!;
    if (best.length === count) {
      // A tie with the last kept loses: it comes later.
      if (!(v > score[best[count - 1]!]!)) continue;
      best.pop();
    }
    // After every kept position scoring ≥ v (those are earlier, so they win ties).
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (score[best[mid]!]! >= v) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, k);
  }
  return best;
}
