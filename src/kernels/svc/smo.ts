// The dual solver of a binary C-SVC, SMO as libsvm does it (Fan, Chen & Lin 2005):
//
//   min_α  ½ αᵀQα − eᵀα   subject to  yᵀα = 0,  0 ≤ αᵢ ≤ C,   Q_ij = yᵢ yⱼ K(xᵢ, xⱼ)
//
// - working set: the maximal violating pair with second-order information (libsvm's WSS 2):
//   i = argmax_{t ∈ I_up} −y_t G_t, then j ∈ I_low minimising −(Gmax + y_j G_j)² / a_ij with
//   a_ij = K_ii + K_jj − 2K_ij; when a_ij ≤ 0 (a non-PSD kernel such as sigmoid) τ = 1e-12 is
//   used instead, as libsvm does;
// - the two-variable update clipped to the box exactly as libsvm's Solver::solve;
// - the gradient G = Qα − e kept in float64 and updated with the two kernel rows;
// - stop when Gmax + Gmax2 < tol (libsvm's ε, default 1e-3), or at maxIter;
// - ρ from the free support vectors (0 < α < C) averaged, else the midpoint of the bounds
//   (libsvm's calculate_rho); the decision function is Σ αᵢ yᵢ K(xᵢ, x) − ρ.
// - shrinking (libsvm's -h 1, the default; shrinking.ts): the selection, the gradient update
//   and the prefetch hints run over the active points only (permuted to the front of the
//   state arrays, so the scans read them in sequence), and the stopping rule is checked
//   over all l points after rebuilding the gradient of the others. Off (-h 0), every iteration
//   scans all l points. The stopping rule is the same, so both end tol-accurate, but they can
//   take different paths (a shrunk point that would have been selected, a rebuilt gradient's
//   rounding) and stop at a different α: not necessarily the same model.
//
// Kernel rows come from a KernelRowProvider over all training points; the problem names its
// points by their global indices (a one-vs-one problem is a subset of the training set).

import { ValueError } from '../../errors.js';
import { STANDARDIZE_X } from '../../gram-options.js';
import { yielder } from '../../next-task.js';
import { checkPositiveInt, describeValue, optionalBoolean } from '../../validate.js';
import { bestFirst } from './best-first.js';
import type { KernelRow, KernelRowProvider } from './provider.js';
import { ActiveSet } from './shrinking.js';
import { selectI, selectJ, type Selection, TAU } from './working-set.js';

export interface BinaryProblem {
  /** Global (provider) index of each of the l points of this problem. */
  index: Int32Array;
  /** Label of each point: +1 or −1. */
  y: Int8Array;
  C: number;
}

export interface SolveOptions {
  tol: number;
  maxIter: number;
  /** libsvm's shrinking heuristic (default true, as libsvm and scikit-learn). */
  shrinking?: boolean;
}

export interface BinarySolution {
  /** αᵢ in [0, C] per point of the problem. */
  alpha: Float64Array;
  rho: number;
  iterations: number;
  /** False when maxIter stopped the solver before the tolerance was met. */
  converged: boolean;
  /** The dual objective ½ αᵀQα − eᵀα at the end. */
  objective: number;
  /** Times the shrunk problem looked solved but the whole one was not, and the solver went on. */
  restarts: number;
}

/**
 * solveBinary's arguments, which gave a wrong answer with no error: C and tol > 0, maxIter a
 * positive integer, index and y of one length, each y ±1 with both present (one class gave
 * ρ = −∞), each index a point of the provider (outside it, a NaN kernel row blamed on overflow).
 */
function checkProblem(provider: KernelRowProvider, prob: BinaryProblem, o: SolveOptions): void {
  for (const [name, v] of [['C', prob.C], ['tol', o.tol]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ValueError(`solveBinary: ${name} must be a finite number > 0, got ${describeValue(v)}`);
  }
  checkPositiveInt('solveBinary: maxIter', o.maxIter);
  const l = prob.index.length;
  if (prob.y.length !== l) throw new ValueError(`solveBinary: y has ${prob.y.length} labels for ${l} points (index)`);
  let pos = 0;
  for (let i = 0; i < l; i++) {
    const g = prob.index[i]!;
    if (!Number.isInteger(g) || g < 0 || g >= provider.size) {
      throw new ValueError(`solveBinary: index[${i}] = ${g} is not a point of the provider (0..${provider.size - 1})`);
    }
    const yi = prob.y[i]!;
    if (yi !== 1 && yi !== -1) throw new ValueError(`solveBinary: y[${i}] = ${yi}; labels must be +1 or −1`);
    if (yi === 1) pos++;
  }
  if (pos === 0 || pos === l) throw new ValueError(`solveBinary: the ${l} labels are all ${pos === 0 ? '−1' : '+1'}; a binary problem needs both +1 and −1`);
}

/** libsvm's default iteration cap: max(10⁷, 100·l). */
export function defaultMaxIter(l: number): number {
  return Math.max(10_000_000, 100 * l);
}

/**
 * libsvm's SMO for one binary C-SVC problem (labels ±1): working-set selection by second-order
 * information, kernel rows from `provider`. Returns α, ρ and the iteration count; a NaN
 * gradient is an error, never convergence. A `shrinking` other than a boolean, or a
 * `provider.batchRows` other than a positive integer, is a ValueError.
 */
export async function solveBinary(provider: KernelRowProvider, prob: BinaryProblem, o: SolveOptions): Promise<BinarySolution> {
  checkProblem(provider, prob, o);
  const shrinking = optionalBoolean('shrinking', o.shrinking, true);
  // NaN made every gradient rebuild fetch nothing (a wrong model), 0 looped there forever.
  if (provider.batchRows !== undefined) checkPositiveInt('provider.batchRows', provider.batchRows);
  const { C } = prob;
  // Copies: shrinking permutes them (with α, G and QD) to keep the active points first.
  const index = Int32Array.from(prob.index);
  const y = Int8Array.from(prob.y);
  const l = index.length;
  const alpha = new Float64Array(l);
  const G = new Float64Array(l).fill(-1); // G = Qα − e at α = 0
  const QD = Float64Array.from(index, (g) => provider.diagonal[g]!);

  const active = new ActiveSet({ index, y, C, alpha, G, QD }, shrinking);

  // Prefetch hints for a provider that computes several rows per fetch: the rest of its batch.
  const hintCount = provider.batchRows === undefined ? l : provider.batchRows - 1;
  const score = new Float64Array(hintCount > 0 ? l : 0);
  const candidate = new Int32Array(score.length);
  const row = async (i: number): Promise<KernelRow> => {
    const g = index[i]!;
    return provider.cached(g) ?? (await provider.fetch([g], hintCount > 0 ? hints(i) : undefined))[0]!;
  };
  // The hintCount active points (but `skip`) not cached that violate most, most first (global indices).
  const hints = (skip: number): number[] => {
    let n = 0;
    for (let t = 0; t < active.size; t++) {
      if (t === skip || provider.has?.(index[t]!) === true) continue;
      const yt = y[t]!;
      const a = alpha[t]!;
      const up = yt === 1 ? a < C : a > 0;
      const low = yt === 1 ? a > 0 : a < C;
      score[n] = Math.max(up ? -yt * G[t]! : -Infinity, low ? yt * G[t]! : -Infinity);
      candidate[n++] = index[t]!;
    }
    return bestFirst(score, n, hintCount).map((k) => candidate[k]!);
  };

  // ---- working set selection (WSS 2) over the active points into `ws`; false when they are solved ----
  const ws: Selection & { j: number; Ki: KernelRow } = { i: -1, gmax: -Infinity, gmax2: -Infinity, j: -1, Ki: new Float64Array(0) };
  const select = async (): Promise<boolean> => {
    selectI(active.size, y, alpha, G, C, ws);
    if (ws.i === -1 || ws.gmax + ws.gmax2 < o.tol) return false;
    ws.Ki = await row(ws.i);
    ws.j = selectJ(active.size, ws.i, ws.gmax, y, alpha, G, QD, index, ws.Ki, C);
    return ws.j !== -1;
  };

  let iter = 0;
  let restarts = 0;
  let converged = false;
  // Kernel rows from the CPU backend (or the float64 provider) arrive without leaving the
  // microtask queue: yield now and then, or a page freezes for the whole fit.
  const maybeYield = yielder();
  while (iter < o.maxIter) {
    const pause = maybeYield();
    if (pause !== undefined) await pause;
    if (active.due()) await active.shrink(provider, o.tol);
    let found = await select();
    if (!found && !active.whole) {
      // The active points are solved: check the whole problem.
      await active.restore(provider);
      found = await select();
      if (found) {
        restarts++;
        active.shrinkNext();
      }
    }
    if (!found) {
      converged = true;
      break;
    }
    iter++;
    const { i, j, Ki } = ws;
    const yi = y[i]!;

    // ---- update α_i, α_j (libsvm's Solver::solve, C_i = C_j = C) ----
    const Kj = await row(j);
    const yj = y[j]!;
    const Kij = Ki[index[j]!]!;
    const oldAi = alpha[i]!;
    const oldAj = alpha[j]!;
    let ai = oldAi;
    let aj = oldAj;
    let quad = QD[i]! + QD[j]! - 2 * Kij;
    if (quad <= 0) quad = TAU;
    if (yi !== yj) {
      const delta = (-G[i]! - G[j]!) / quad;
      const diff = ai - aj;
      ai += delta;
      aj += delta;
      if (diff > 0) {
        if (aj < 0) {
          aj = 0;
          ai = diff;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = -diff;
      }
      if (diff > 0) {
        if (ai > C) {
          ai = C;
          aj = C - diff;
        }
      } else if (aj > C) {
        aj = C;
        ai = C + diff;
      }
    } else {
      const delta = (G[i]! - G[j]!) / quad;
      const sum = ai + aj;
      ai -= delta;
      aj += delta;
      if (sum > C) {
        if (ai > C) {
          ai = C;
          aj = sum - C;
        }
      } else if (aj < 0) {
        aj = 0;
        ai = sum;
      }
      if (sum > C) {
        if (aj > C) {
          aj = C;
          ai = sum - C;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = sum;
      }
    }
    alpha[i] = ai;
    alpha[j] = aj;

    // ---- gradient of the active points: G_t += Q_ti Δα_i + Q_tj Δα_j, Q_ti = y_t y_i K_ti ----
    updateGradient(active.size, y, index, G, Ki, Kj, (ai - oldAi) * yi, (aj - oldAj) * yj);
    active.boundChanged(i, oldAi >= C, Ki);
    active.boundChanged(j, oldAj >= C, Kj);
  }
  // Stopped by maxIter: the gradient of every point, for ρ and the objective.
  await active.restore(provider);

  // A NaN gradient makes every comparison above false, which reads as convergence (and an
  // all-NaN model): never report that. The providers refuse non-finite kernel values, so only
  // a gradient past float64 (kernel values times C too large) or a provider that does not
  // check gets here.
  for (let t = 0; t < l; t++) {
    if (!Number.isFinite(G[t]!) || !Number.isFinite(alpha[t]!)) {
      throw new ValueError(
        `SVC: the solver's ${Number.isFinite(G[t]!) ? `α of point ${index[t]} is ${alpha[t]}` : `gradient at point ${index[t]} is ${G[t]}`} ` +
          `after ${iter} iterations: the kernel values are not finite or too large for the solver; ${STANDARDIZE_X} (or lower C)`,
      );
    }
  }

  // ---- ρ (libsvm's calculate_rho) ----
  let ub = Infinity;
  let lb = -Infinity;
  let nFree = 0;
  let sumFree = 0;
  for (let t = 0; t < l; t++) {
    const yG = y[t]! * G[t]!;
    if (alpha[t]! >= C) {
      if (y[t] === -1) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else if (alpha[t]! <= 0) {
      if (y[t] === 1) ub = Math.min(ub, yG);
      else lb = Math.max(lb, yG);
    } else {
      nFree++;
      sumFree += yG;
    }
  }
  const rho = nFree > 0 ? sumFree / nFree : (ub + lb) / 2;
  // ½ αᵀQα − eᵀα = ½ Σ αᵢ (Gᵢ − 1) ... with G = Qα − e: αᵀQα = Σ αᵢ (Gᵢ + 1).
  let objective = 0;
  for (let t = 0; t < l; t++) objective += alpha[t]! * (G[t]! - 1);
  objective /= 2;
  return { alpha, rho, iterations: iter, converged, objective, restarts };
}

/** G_t += Q_ti Δα_i + Q_tj Δα_j at positions 0..n−1, Q_ti = y_t y_i K_ti; di = y_i Δα_i, dj = y_j Δα_j. */
function updateGradient(n: number, y: Int8Array, index: Int32Array, G: Float64Array, Ki: KernelRow, Kj: KernelRow, di: number, dj: number): void {
  for (let t = 0; t < n; t++) {
    const g = index[t]!;
    G[t] = G[t]! + y[t]! * (Ki[g]! * di + Kj[g]! * dj);
  }
}
