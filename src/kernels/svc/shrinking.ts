// libsvm's shrinking (Solver::do_shrinking, be_shrunk, reconstruct_gradient; libsvm's -h 1,
// scikit-learn's shrinking=True) for the SMO solver in smo.ts. The active set is the points
// the solver still scans; every min(l, 1000) iterations the bound variables that the maximal
// violation says will stay at their bound leave it, and only active gradients are updated.
// G_bar_t = Σ_{α_j = C} C·Q_tj (all l points, kept up to date as variables reach or leave C)
// lets the gradient of the inactive points be rebuilt: G_t = G_bar_t − 1 + Σ_{free j} α_j Q_tj
// (inactive points sit at a bound, so free variables are all active). The rebuild runs once
// when the violation first falls to 10·tol (then shrinking goes on from the whole set), and
// whenever the active set looks solved, so the stopping rule is checked over all l points.
// The active points sit at positions 0..size−1 of every state array, ascending in problem order,
// the shrunk ones after them: shrinking permutes the arrays in step (as libsvm's swap_index, but
// stable, so ties in the selection break as without shrinking), and making every point active
// again puts them back in problem order. The solver's scans then read the arrays in sequence.
// With shrinking off the active set is always every point, in order, and nothing else runs.

import { DEFAULT_BATCH_ROWS } from './params.js';
import type { KernelRow, KernelRowProvider } from './provider.js';
import { selectI, type Selection } from './working-set.js';

/**
 * The solver's state that shrinking reads, rebuilds and permutes: arrays of length l, position k
 * holding the same point in each (in problem order whenever every point is active).
 */
export interface SmoState {
  /** Global (provider) index of each point. */
  readonly index: Int32Array;
  readonly y: Int8Array;
  readonly C: number;
  readonly alpha: Float64Array;
  /** G = Qα − e, up to date on the active points only. */
  readonly G: Float64Array;
  /** K(x, x) of each point. */
  readonly QD: Float64Array;
}

type StateArray = Int32Array | Int8Array | Float64Array;

/** The active points of one SMO solve and, with shrinking on, libsvm's shrinking bookkeeping. */
export class ActiveSet {
  /** The active points are at positions 0..size−1 of the state arrays. */
  size: number;
  readonly #s: SmoState;
  readonly #l: number;
  readonly #period: number;
  /** G_bar, or null with shrinking off. */
  readonly #gBar: Float64Array | null;
  /** Problem-local index of the point at each position. */
  readonly #order: Int32Array;
  /** Every array permuted with the positions. */
  readonly #arrays: StateArray[];
  #counter: number;
  #unshrunk = false;

  constructor(s: SmoState, shrinking: boolean) {
    this.#s = s;
    this.#l = s.index.length;
    this.size = this.#l;
    this.#period = Math.min(this.#l, 1000);
    this.#counter = this.#period + 1;
    // G_bar = 0 at α = 0.
    this.#gBar = shrinking ? new Float64Array(this.#l) : null;
    this.#order = Int32Array.from({ length: this.#l }, (_, t) => t);
    this.#arrays = [s.index, s.y, s.alpha, s.G, s.QD, ...(this.#gBar ? [this.#gBar] : []), this.#order];
  }

  get whole(): boolean {
    return this.size === this.#l;
  }

  /**
   * Once per iteration, before the working-set selection: true every min(l, 1000)th call with
   * shrinking on, when the solver calls `shrink`. Synchronous: the other calls cost a decrement.
   */
  due(): boolean {
    if (--this.#counter !== 0) return false;
    this.#counter = this.#period;
    return this.#gBar !== null;
  }

  /** Shrink at the next `due` (libsvm does after the whole set was found not yet solved). */
  shrinkNext(): void {
    this.#counter = 1;
  }

  /** Keeps G_bar: α at position t was at C (`wasUpper`) before its update; `row` is its K(x, X). */
  boundChanged(t: number, wasUpper: boolean, row: KernelRow): void {
    const gBar = this.#gBar;
    if (gBar === null) return;
    const { index, y, C, alpha } = this.#s;
    if (wasUpper === alpha[t]! >= C) return;
    const c = (wasUpper ? -C : C) * y[t]!;
    for (let k = 0; k < this.#l; k++) gBar[k] = gBar[k]! + c * y[k]! * row[index[k]!]!;
  }

  /**
   * Rebuilds the gradient of the inactive points and makes every point active again, from
   * the rows of the free variables or from those of the inactive points: either way |free| ·
   * |inactive| products, so the cost is the rows to compute. With `provider.has`, the side
   * with fewer rows not cached (the free variables' are usually cached: they are the working
   * set); without it, or on a tie, the side with fewer rows (libsvm's choice).
   */
  async restore(provider: KernelRowProvider): Promise<void> {
    if (this.whole) return;
    const { index, y, C, alpha, G } = this.#s;
    const gBar = this.#gBar!;
    const inactive = Array.from({ length: this.#l - this.size }, (_, k) => this.size + k);
    for (const t of inactive) G[t] = gBar[t]! - 1;
    const free: number[] = [];
    for (let t = 0; t < this.size; t++) if (alpha[t]! > 0 && alpha[t]! < C) free.push(t);
    const cost = (side: number[]): number => {
      let n = 0;
      for (const t of side) if (provider.has?.(index[t]!) !== true) n++;
      return n;
    };
    const [costFree, costInactive] = [cost(free), cost(inactive)];
    const byFree = costFree < costInactive || (costFree === costInactive && free.length <= inactive.length);
    const rowsOf = byFree ? free : inactive;
    const batch = provider.batchRows ?? DEFAULT_BATCH_ROWS; // a provider that does not say its batch: SVC's default
    for (let s = 0; s < rowsOf.length; s += batch) {
      const part = rowsOf.slice(s, s + batch);
      const rows = await provider.fetch(part.map((t) => index[t]!));
      part.forEach((r, k) => {
        const row = rows[k]!;
        if (byFree) {
          // G_t += α_r Q_tr for every inactive t.
          const c = alpha[r]! * y[r]!;
          for (const t of inactive) G[t] = G[t]! + c * y[t]! * row[index[t]!]!;
        } else {
          let sum = 0;
          for (const j of free) sum += alpha[j]! * y[j]! * row[index[j]!]!;
          G[r] = G[r]! + y[r]! * sum;
        }
      });
    }
    // Back to problem order.
    const order = Int32Array.from(this.#order);
    for (const a of this.#arrays) {
      const was = a.slice();
      for (let k = 0; k < this.#l; k++) a[order[k]!] = was[k]!;
    }
    this.size = this.#l;
  }

  /** libsvm's do_shrinking: drops bound points that the maximal violation keeps at their bound (shrinking on only: when due() says). */
  async shrink(provider: KernelRowProvider, tol: number): Promise<void> {
    const { y, C, alpha, G } = this.#s;
    const max: Selection = { i: -1, gmax: -Infinity, gmax2: -Infinity };
    selectI(this.size, y, alpha, G, C, max);
    const { gmax: gmax1, gmax2 } = max;
    if (!this.#unshrunk && gmax1 + gmax2 <= 10 * tol) {
      this.#unshrunk = true;
      await this.restore(provider);
    }
    // A stable partition of positions 0..size−1: kept, then dropped, each in order.
    const from: number[] = [];
    const dropped: number[] = [];
    for (let t = 0; t < this.size; t++) (this.#shrinkable(t, gmax1, gmax2) ? dropped : from).push(t);
    const kept = from.length;
    if (kept === this.size) return;
    from.push(...dropped);
    for (const a of this.#arrays) {
      const was = a.slice(0, this.size);
      for (let k = 0; k < from.length; k++) a[k] = was[from[k]!]!;
    }
    this.size = kept;
  }

  /** libsvm's be_shrunk, for the point at position t. */
  #shrinkable(t: number, gmax1: number, gmax2: number): boolean {
    const { y, C, alpha, G } = this.#s;
    const g = G[t]!;
    if (alpha[t]! >= C) return y[t] === 1 ? -g > gmax1 : -g > gmax2;
    if (alpha[t]! <= 0) return y[t] === 1 ? g > gmax2 : g > gmax1;
    return false;
  }
}
