// libsvm's working-set selection (WSS 2, Fan, Chen & Lin 2005) as plain scans over the SMO
// solver's typed arrays at positions 0..n−1 (the active points): smo.ts picks its pair with
// them, and shrinking.ts reads the same maximal violations (gmax, gmax2) to decide what to drop.

import type { KernelRow } from './provider.js';

/** libsvm's τ: a_ij ≤ 0 (a non-PSD kernel such as sigmoid) is replaced by it. */
export const TAU = 1e-12;

/** What selectI finds: i (−1 when I_up is empty), gmax = −y_i G_i, and gmax2. */
export interface Selection {
  i: number;
  gmax: number;
  gmax2: number;
}

/** i = argmax over I_up of −y_t G_t (gmax), and gmax2 = max over I_low of y_t G_t, at positions 0..n−1. */
export function selectI(n: number, y: Int8Array, alpha: Float64Array, G: Float64Array, C: number, out: Selection): void {
  let gmax = -Infinity;
  let gmax2 = -Infinity;
  let i = -1;
  for (let t = 0; t < n; t++) {
    const a = alpha[t]!;
    const yG = y[t]! * G[t]!;
    // I_up: y = +1 with α < C, or y = −1 with α > 0; I_low the other way round. Written out
    // here, in selectJ and in smo.ts's hints: as inUp/inLow functions the hard fit ran ~2 % slower.
    if (y[t] === 1 ? a < C : a > 0) {
      if (-yG >= gmax) {
        gmax = -yG;
        i = t;
      }
    }
    if (y[t] === 1 ? a > 0 : a < C) {
      if (yG >= gmax2) gmax2 = yG;
    }
  }
  out.i = i;
  out.gmax = gmax;
  out.gmax2 = gmax2;
}

/** j ∈ I_low minimising −(gmax + y_j G_j)² / a_ij (second-order information), or −1; Ki is K(x_i, X). */
export function selectJ(
  n: number, i: number, gmax: number, y: Int8Array, alpha: Float64Array, G: Float64Array, QD: Float64Array, index: Int32Array, Ki: KernelRow, C: number,
): number {
  let j = -1;
  let objMin = Infinity;
  const QDi = QD[i]!;
  for (let t = 0; t < n; t++) {
    const yt = y[t]!;
    if (yt === 1 ? alpha[t]! > 0 : alpha[t]! < C) {
      const gradDiff = gmax + yt * G[t]!;
      if (gradDiff > 0) {
        const a = QDi + QD[t]! - 2 * Ki[index[t]!]!;
        const obj = -(gradDiff * gradDiff) / (a > 0 ? a : TAU);
        if (obj <= objMin) {
          j = t;
          objMin = obj;
        }
      }
    }
  }
  return j;
}
