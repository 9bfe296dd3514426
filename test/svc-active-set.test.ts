// ActiveSet (src/kernels/svc/shrinking.ts) on hand-built solver states, without the solver
// loop: a small random problem (a subset of a provider's points, in shuffled order) with an
// rbf kernel in float64 (test/helpers/reference.ts) scaled to K_ij·s_i·s_j (still PSD; the
// diagonal varies, so an array left out of the permutation shows) and a tiny in-test provider
// that records the rows fetched. α is a near-optimal solution (many bound points shrinkable), G_bar
// is built as the solver builds it (boundChanged as α reaches C), and G = Qα − e is computed
// here. Checked after every shrink and restore:
// - the points dropped are exactly those libsvm's be_shrunk rule picks, computed here from
//   the state (max violation over I_up and I_low of the active points);
// - every state array follows the same permutation (index, y, α, G, QD: QD[k] is
//   diagonal[index[k]]), active points first and both parts in problem order; after restore
//   everything is back in problem order;
// - after restore, G is Qα − e at every point, with each rebuild branch forced: the free
//   variables' rows (few free, many shrunk) and the shrunk points' rows (the other way round),
//   told apart by the rows fetched; the inactive G are poisoned (NaN) first, so none is stale;
// - between shrink and restore the active α move as the solver would move them (to C, off C,
//   between free values), so G_bar's upkeep is checked too;
// - the first time the violation is ≤ 10·tol, a shrink rebuilds and shrinks from all points.
// G tolerance: every G_t is a sum of n ≤ l + (boundChanged calls) terms, each at most C·max K
// in magnitude, plus −1; in any order float64 sums it within n·u·Σ|terms| (u = 2⁻⁵³), and the
// reference's own sum is within the same: atol = 2·n·u·(n·C·max K + 1).
import { beforeAll, describe, expect, it } from 'vitest';
import { type KernelParams, type KernelRowProvider, solveBinary } from '../src/index.js';
import { ActiveSet, type SmoState } from '../src/kernels/svc/shrinking.js';
import { expectClose } from './helpers/expectClose.js';
import { inLow, inUp, refGram, refSvmGradient, twoBlobs } from './helpers/reference.js';
import { rng } from './helpers/rng.js';

const U = 2 ** -53;

interface Problem {
  /** Provider points. */
  n: number;
  K: Float64Array;
  diagonal: Float64Array;
  /** The problem: global index and label of each of its l points, in problem order. */
  index: Int32Array;
  y: Int8Array;
  C: number;
}

/** l of n points of two overlapping 2-D blobs, in shuffled order; a scaled rbf of γ in float64. */
function problem(seed: number, n: number, l: number, gamma: number, C: number): Problem {
  const r = rng(seed);
  const { x, y: cls } = twoBlobs(r, n);
  const p: KernelParams = { kernel: 'rbf', gamma, coef0: 0, degree: 3 };
  // Scaled by s_i s_j (still PSD) so that the diagonal is not constant: a QD left unpermuted shows.
  const scale = r.uniform(n, 0.5, 1.5);
  const K = refGram(x, x, n, n, 2, p).map((v, k) => v * scale[Math.floor(k / n)]! * scale[k % n]!);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const index = Int32Array.from(order.slice(0, l));
  return { n, K, diagonal: Float64Array.from({ length: n }, (_, i) => K[i * n + i]!), index, y: Int8Array.from(index, (g) => cls[g]!), C };
}

/** A provider over K recording every fetch; `has` (when given) is its only cache. */
function provider(pr: Problem, has?: (i: number) => boolean): KernelRowProvider & { fetched: number[][] } {
  const { n, K } = pr;
  const fetched: number[][] = [];
  return {
    size: n, diagonal: pr.diagonal, fetched,
    stats: { rowsComputed: 0, batches: 0, cacheHits: 0 },
    dispose: () => undefined,
    cached: () => undefined,
    ...(has === undefined ? {} : { has }),
    async fetch(need) {
      fetched.push([...need]);
      return need.map((i) => K.slice(i * n, (i + 1) * n));
    },
  };
}

/** G = Qα − e at the problem's points, α in problem order. */
function gradient(pr: Problem, alpha: Float64Array): Float64Array {
  return refSvmGradient(pr.K, pr.n, pr.y, alpha, pr.index);
}

/** max −y_t G_t over I_up and max y_t G_t over I_low, at positions 0..size−1. */
function maxViolations(s: SmoState, size: number): [gmax1: number, gmax2: number] {
  const { y, alpha, G, C } = s;
  let gmax1 = -Infinity;
  let gmax2 = -Infinity;
  for (let t = 0; t < size; t++) {
    if (inUp(y[t]!, alpha[t]!, C)) gmax1 = Math.max(gmax1, -y[t]! * G[t]!);
    if (inLow(y[t]!, alpha[t]!, C)) gmax2 = Math.max(gmax2, y[t]! * G[t]!);
  }
  return [gmax1, gmax2];
}

/** libsvm's be_shrunk at positions 0..size−1 with the maximal violations [gmax1, gmax2]: the global indices it drops. */
function expectedDropped(s: SmoState, size: number, [gmax1, gmax2] = maxViolations(s, size)): Set<number> {
  const { y, alpha, G, C, index } = s;
  const out = new Set<number>();
  for (let t = 0; t < size; t++) {
    // At C a point can only go down (it is in I_low only), at 0 only up: dropped when no
    // violating partner can pull it.
    const g = G[t]!;
    const drop = alpha[t]! >= C ? (y[t] === 1 ? -g > gmax1 : -g > gmax2) : alpha[t]! <= 0 ? (y[t] === 1 ? g > gmax2 : g > gmax1) : false;
    if (drop) out.add(index[t]!);
  }
  return out;
}

/** A hand-built state: α (problem order) set from 0 as the solver would reach it; G exact. */
class Harness {
  readonly pr: Problem;
  readonly s: SmoState;
  readonly active: ActiveSet;
  /** α and G of each point by global index: what the state must hold wherever it put the point. */
  readonly alphaOf = new Map<number, number>();
  readonly gOf = new Map<number, number>();
  /** Problem position of each global index. */
  readonly posOf = new Map<number, number>();
  boundChanges = 0;

  constructor(pr: Problem, alpha: Float64Array) {
    this.pr = pr;
    const { index, y, C, diagonal } = pr;
    const l = index.length;
    this.s = {
      index: Int32Array.from(index), y: Int8Array.from(y), C, alpha: new Float64Array(l),
      G: new Float64Array(l).fill(-1), QD: Float64Array.from(index, (g) => diagonal[g]!),
    };
    this.active = new ActiveSet(this.s, true);
    index.forEach((g, t) => this.posOf.set(g, t));
    for (let t = 0; t < l; t++) this.setAlpha(t, alpha[t]!);
    this.exactG();
  }

  row(g: number): Float64Array {
    const { n, K } = this.pr;
    return K.subarray(g * n, (g + 1) * n);
  }

  /** α at position k of the state := a, G_bar kept as the solver keeps it. */
  setAlpha(k: number, a: number): void {
    const { alpha, index } = this.s;
    const wasUpper = alpha[k]! >= this.s.C;
    alpha[k] = a;
    if (wasUpper !== a >= this.s.C) this.boundChanges++;
    this.active.boundChanged(k, wasUpper, this.row(index[k]!));
    this.alphaOf.set(index[k]!, a);
  }

  /** α in problem order, from the per-point record. */
  problemAlpha(): Float64Array {
    return Float64Array.from(this.pr.index, (g) => this.alphaOf.get(g)!);
  }

  /** G := Qα − e at the active positions; NaN at the others (restore must rebuild them all). */
  exactG(): Float64Array {
    const ref = gradient(this.pr, this.problemAlpha());
    const { index, G } = this.s;
    this.pr.index.forEach((g, t) => this.gOf.set(g, ref[t]!));
    for (let k = 0; k < index.length; k++) G[k] = k < this.active.size ? this.gOf.get(index[k]!)! : NaN;
    return ref;
  }

  /**
   * Every array holds each point's own values, active points first, each part in problem
   * order; with `checkG`, G at the active points too (bitwise: a shrink only moves values).
   */
  expectConsistent(label: string, checkG = true): void {
    const { index, y, alpha, G, QD } = this.s;
    const size = this.active.size;
    const l = index.length;
    expect([...index].sort((p, q) => p - q), `${label}: index a permutation`).toEqual([...this.pr.index].sort((p, q) => p - q));
    for (let k = 0; k < l; k++) {
      const g = index[k]!;
      const t = this.posOf.get(g)!;
      expect(y[k], `${label}: y at ${k}`).toBe(this.pr.y[t]);
      expect(QD[k], `${label}: QD at ${k}`).toBe(this.pr.diagonal[g]);
      expect(alpha[k], `${label}: α at ${k}`).toBe(this.alphaOf.get(g));
      if (checkG && k < size) expect(G[k], `${label}: G at ${k}`).toBe(this.gOf.get(g));
      if (k > 0 && k !== size) expect(this.posOf.get(index[k - 1]!)!, `${label}: order at ${k}`).toBeLessThan(t);
    }
  }

  /** Forces a shrink now (as the solver does when due). */
  async shrink(p: KernelRowProvider, tol: number): Promise<void> {
    this.active.shrinkNext();
    expect(this.active.due()).toBe(true);
    await this.active.shrink(p, tol);
  }

  /** G (problem order; default the state's, in problem order after restore) against Qα − e, within the bound of the header. */
  expectExactG(label: string, G: Float64Array = this.s.G): void {
    const { n, K, index, C } = this.pr;
    let maxK = 0;
    for (const g of index) for (const h of index) maxK = Math.max(maxK, Math.abs(K[g * n + h]!));
    const terms = index.length + this.boundChanges;
    expectClose(G, gradient(this.pr, this.problemAlpha()), { atol: 2 * terms * U * (terms * C * maxK + 1), label });
  }
}

/** α of the problem solved to a tight tolerance, shrinking off (so many bound points are shrinkable). */
async function solved(pr: Problem): Promise<Float64Array> {
  const s = await solveBinary(provider(pr), pr, { tol: 1e-8, maxIter: 1e6, shrinking: false });
  return s.alpha;
}

/** Moves some active α as solver iterations would: a free one to C, one at C to free, free ones to other free values. */
function moveActive(h: Harness, seed: number): void {
  const r = rng(seed);
  const { alpha, C } = h.s;
  const free = [];
  const atC = [];
  for (let k = 0; k < h.active.size; k++) {
    if (alpha[k]! > 0 && alpha[k]! < C) free.push(k);
    else if (alpha[k]! >= C) atC.push(k);
  }
  expect(free.length).toBeGreaterThan(3);
  h.setAlpha(free[0]!, C);
  if (atC.length > 0) h.setAlpha(atC[0]!, C * r.next());
  for (const k of free.slice(1, 4)) h.setAlpha(k, C * r.next());
}

const TOL = 1e-12; // below the solutions' violation: no 10·tol rebuild unless asked

/**
 * pr's solution alpha shrunk once (checked) in a fresh Harness, its active α then moved; G exact
 * at the active points, NaN at the others. `p` serves pr. Also the global rows of its free and
 * shrunk points.
 */
async function shrunkState(pr: Problem, alpha: Float64Array, p: ReturnType<typeof provider>) {
  const h = new Harness(pr, alpha);
  const l = pr.index.length;
  h.expectConsistent('built');
  const dropped = expectedDropped(h.s, l);
  await h.shrink(p, TOL);
  expect(p.fetched, 'a shrink fetches nothing').toEqual([]);
  expect(h.active.size, 'shrunk').toBe(l - dropped.size);
  expect(new Set(h.s.index.subarray(h.active.size)), 'the points dropped').toEqual(dropped);
  h.expectConsistent('after shrink');
  moveActive(h, 9);
  const freeRows = [];
  for (let k = 0; k < h.active.size; k++) if (h.s.alpha[k]! > 0 && h.s.alpha[k]! < pr.C) freeRows.push(h.s.index[k]!);
  h.exactG();
  return { h, freeRows, shrunkRows: [...h.s.index.subarray(h.active.size)] };
}

/** Restores h's state with p, then checks the arrays back in problem order and G exact. */
async function restoreAndCheck(h: Harness, p: KernelRowProvider): Promise<void> {
  await h.active.restore(p);
  expect(h.active.whole).toBe(true);
  expect(h.s.index).toEqual(h.pr.index);
  h.expectConsistent('after restore', false);
  h.expectExactG('G after restore');
}

const STATES = [
  { name: 'few free variables, many shrunk', gamma: 0.5, C: 10, fewerFree: true },
  { name: 'many free variables, few shrunk', gamma: 8, C: 100, fewerFree: false },
];

describe('ActiveSet: shrink and restore on hand-built states', () => {
  // Each state's problem, solved once here; every shrunkState builds its own Harness from it.
  const states = STATES.map((c) => ({ ...c, pr: problem(5, 120, 90, c.gamma, c.C), alpha: new Float64Array(0) as Float64Array }));
  beforeAll(async () => {
    for (const c of states) c.alpha = await solved(c.pr);
  });

  for (const c of states) {
    it(`${c.name}: rebuilt from the ${c.fewerFree ? 'free' : 'shrunk points\''} rows; G = Qα − e at every point, the arrays in step`, async () => {
      const { pr } = c;
      const p = provider(pr);
      const { h, freeRows, shrunkRows } = await shrunkState(pr, c.alpha, p);
      expect(freeRows.length <= shrunkRows.length, 'the branch the state forces').toBe(c.fewerFree);
      await restoreAndCheck(h, p);
      expect(p.fetched.flat(), 'rows fetched').toEqual(c.fewerFree ? freeRows : shrunkRows);
    });
  }

  it('with provider.has: rebuilt from the side with fewer rows not cached (ties: the fewer rows)', async () => {
    for (const c of states) {
      for (const cached of ['none', 'free', 'shrunk', 'all'] as const) {
        const label = `${c.name}, ${cached} cached`;
        const rows = new Set<number>();
        const { pr } = c;
        const p = provider(pr, (i) => rows.has(i));
        const { h, freeRows, shrunkRows } = await shrunkState(pr, c.alpha, p);
        if (cached === 'free' || cached === 'all') for (const g of freeRows) rows.add(g);
        if (cached === 'shrunk' || cached === 'all') for (const g of shrunkRows) rows.add(g);
        const cost = (side: number[]): number => side.filter((g) => !rows.has(g)).length;
        const [free, shrunk] = [cost(freeRows), cost(shrunkRows)];
        const byFree = free < shrunk || (free === shrunk && freeRows.length <= shrunkRows.length);
        // Not today's choice (the fewer rows) when the other side is all cached.
        if (cached === 'free' || cached === 'shrunk') expect(byFree, label).toBe(cached === 'free');
        await restoreAndCheck(h, p);
        expect(p.fetched.flat(), `${label}: rows fetched`).toEqual(byFree ? freeRows : shrunkRows);
      }
    }
  });

  it('the first shrink with the violation ≤ 10·tol rebuilds G and shrinks from all points; later ones do not rebuild', async () => {
    const pr = problem(6, 120, 90, 2, 10);
    const h = new Harness(pr, await solved(pr));
    const l = pr.index.length;
    const p = provider(pr);
    await h.shrink(p, TOL);
    expect(h.active.size).toBeLessThan(l);
    // Violation of the solution (tol 1e-8) ≤ 10·tol.
    const tol = 1e-8;
    // libsvm's do_shrinking: the maximal violations of the active points, before the rebuild.
    const violations = maxViolations(h.s, h.active.size);
    expect(violations[0] + violations[1]).toBeLessThanOrEqual(10 * tol);
    await h.shrink(p, tol);
    expect(p.fetched.length, 'rebuilt').toBeGreaterThan(0);
    // Rebuilt, then shrunk from all l points by the rule over all of them.
    const { index, G } = h.s;
    h.expectExactG('G rebuilt at the 10·tol shrink', Float64Array.from(pr.index, (g) => G[index.indexOf(g)]!));
    const alpha = h.problemAlpha();
    const dropped = expectedDropped({ ...h.s, index: pr.index, y: pr.y, alpha, G: gradient(pr, alpha) }, l, violations);
    expect(dropped.size).toBeGreaterThan(0);
    expect(h.active.size).toBe(l - dropped.size);
    expect(new Set(index.subarray(h.active.size))).toEqual(dropped);
    h.expectConsistent('after the 10·tol shrink', false);
    const fetches = p.fetched.length;
    const later = expectedDropped(h.s, h.active.size);
    const before = h.active.size;
    await h.shrink(p, tol);
    expect(h.active.size).toBe(before - later.size);
    expect(new Set(h.s.index.subarray(h.active.size, before))).toEqual(later);
    expect(p.fetched.length, 'no second rebuild').toBe(fetches);
    h.expectConsistent('after a later shrink', false);
  });
});
