// The SMO solver's prefetch hints (smo.ts) and the provider's batchRows. A recording provider
// serves float64 rows of the reference kernel (test/helpers/reference.ts), computes only the
// rows it is asked for, and records what the solver passes with each fetch:
// - batchRows 1: no hints at all; batchRows b: at most b − 1, and b − 1 whenever that many
//   active points are neither cached (the provider's `has`) nor the row needed;
// - best first: checked against the violation score max(−y_t G_t over I_up, y_t G_t over I_low)
//   recomputed in float64 from the α of a run stopped at the same iteration (G = Qα − e);
// - exactly the first b − 1 of what a provider without batchRows gets at the same fetch (every
//   active point, fully sorted, ties in order), less the cached rows: ties break as before;
// - the rows the solver asks for to rebuild a shrunk gradient come at most b per fetch;
// - a batchRows that is not a positive integer is refused before any fetch;
// - bestFirst against a full sort with explicit tie order, many ties, awkward sizes;
// - the providers' batchRows, and EngineRowProvider's has() on both backends.
import { describe, expect, it } from 'vitest';
import { type BinaryProblem, EngineRowProvider, Float64RowProvider, type KernelParams, type KernelRowProvider, solveBinary, ValueError } from '../src/index.js';
import { bestFirst } from '../src/kernels/svc/best-first.js';
import { useEngines } from './helpers/engines.js';
import { expectThrows } from './helpers/expectClose.js';
import { inLow, inUp, refGram, refSvmGradient, twoBlobs } from './helpers/reference.js';
import { rng } from './helpers/rng.js';

interface Fetch {
  need: number[];
  hints: number[] | undefined;
  /** Rows the provider held when the fetch came. */
  cached: Set<number>;
  /** A kernel row the solver missed (cached() then fetch), else a gradient rebuild. */
  row: boolean;
  /** cached() calls so far: the solver asks for two rows per iteration. */
  lookups: number;
}

/** A KernelRowProvider over the l×l matrix K that records every fetch; with batchRows it also has `has`. */
function recording(K: Float64Array, l: number, batchRows?: number): KernelRowProvider & { fetches: Fetch[] } {
  const rows = new Map<number, Float64Array>();
  const fetches: Fetch[] = [];
  let lookups = 0;
  let missed = -1;
  const diagonal = Float64Array.from({ length: l }, (_, i) => K[i * l + i]!);
  return {
    size: l, diagonal, batchRows, fetches,
    stats: { rowsComputed: 0, batches: 0, cacheHits: 0 },
    dispose: () => rows.clear(),
    cached(i) {
      lookups++;
      const r = rows.get(i);
      missed = r === undefined ? i : -1;
      return r;
    },
    ...(batchRows === undefined ? {} : { has: (i: number) => rows.has(i) }),
    async fetch(need, hints) {
      fetches.push({ need: [...need], hints: hints && [...hints], cached: new Set(rows.keys()), row: need.length === 1 && need[0] === missed, lookups });
      missed = -1;
      return need.map((i) => {
        const r = rows.get(i) ?? K.slice(i * l, (i + 1) * l);
        rows.set(i, r);
        return r;
      });
    },
  };
}

const RBF: KernelParams = { kernel: 'rbf', gamma: 0.5, coef0: 0, degree: 3 };

/** Two overlapping unit-variance blobs one unit apart in 2-D (many α at C) and their rbf kernel. */
function problem(seed: number, l: number): { K: Float64Array; prob: BinaryProblem } {
  const { x, y } = twoBlobs(rng(seed), l);
  return { K: refGram(x, x, l, l, 2, RBF), prob: { index: Int32Array.from({ length: l }, (_, i) => i), y, C: 100 } };
}

/** The hint score of every point at α, from G = Qα − e recomputed in float64. */
function scores(K: Float64Array, prob: BinaryProblem, alpha: Float64Array): Float64Array {
  const { y, C } = prob;
  const G = refSvmGradient(K, y.length, y, alpha);
  return G.map((g, t) => {
    const up = inUp(y[t]!, alpha[t]!, C);
    const low = inLow(y[t]!, alpha[t]!, C);
    return Math.max(up ? -y[t]! * g : -Infinity, low ? y[t]! * g : -Infinity);
  });
}

describe('solveBinary: prefetch hints as many as the provider can use', () => {
  const L = 157;
  const { K, prob } = problem(7, L);

  it('batchRows 1: no hints; b: at most b − 1 uncached, best first by the violation recomputed from α', async () => {
    const none = recording(K, L, 1);
    const plain = await solveBinary(none, prob, { tol: 1e-3, maxIter: 1e7, shrinking: false });
    expect(none.fetches.filter((f) => f.row).length).toBeGreaterThan(L / 2);
    for (const f of none.fetches) expect(f.hints).toBeUndefined();
    for (const b of [2, 7, 64]) {
      const p = recording(K, L, b);
      const s = await solveBinary(p, prob, { tol: 1e-3, maxIter: 1e7, shrinking: false });
      expect(s.alpha, `b ${b}: hints change no α`).toEqual(plain.alpha);
      let checked = 0;
      for (const f of p.fetches) {
        const eligible = Array.from({ length: L }, (_, t) => t).filter((t) => t !== f.need[0] && !f.cached.has(t));
        const hints = f.hints ?? [];
        expect(hints.length, `b ${b}: as many hints as can be used`).toBe(Math.min(b - 1, eligible.length));
        if (!f.row || hints.length === 0 || f.lookups % 7 !== 0) continue;
        // The state at this fetch: α after the iterations before it (two lookups each).
        const at = await solveBinary(recording(K, L), prob, { tol: 1e-3, maxIter: Math.floor((f.lookups - 1) / 2), shrinking: false });
        const v = scores(K, prob, at.alpha);
        const slack = (a: number): number => 1e-9 * (1 + Math.abs(a));
        for (const h of hints) expect(eligible).toContain(h);
        for (let k = 1; k < hints.length; k++) expect(v[hints[k]!]!, `b ${b}: best first`).toBeLessThanOrEqual(v[hints[k - 1]!]! + slack(v[hints[k - 1]!]!));
        const last = v[hints.at(-1)!]!;
        for (const t of eligible) if (!hints.includes(t)) expect(v[t]!, `b ${b}: a better point left out`).toBeLessThanOrEqual(last + slack(last));
        checked++;
      }
      expect(checked, `b ${b}: fetches checked`).toBeGreaterThan(3);
    }
  });

  it('shrinking on: the first b − 1 uncached of the full sorted list a provider without batchRows gets; gradient rebuilds b rows per fetch', async () => {
    const full = recording(K, L);
    const ref = await solveBinary(full, prob, { tol: 1e-3, maxIter: 1e7 });
    const rowFetches = (p: { fetches: Fetch[] }): Fetch[] => p.fetches.filter((f) => f.row);
    // Without batchRows: every active point but the one needed, cached or not; rebuilds up to 64 rows a fetch.
    expect(rowFetches(full).some((f) => f.hints!.some((h) => f.cached.has(h)))).toBe(true);
    const rebuilt = full.fetches.filter((f) => !f.row).map((f) => f.need.length);
    expect(Math.max(...rebuilt)).toBeGreaterThan(7);
    expect(Math.max(...rebuilt)).toBeLessThanOrEqual(64);
    for (const b of [1, 2, 7, 64, 1000]) {
      const p = recording(K, L, b);
      const s = await solveBinary(p, prob, { tol: 1e-3, maxIter: 1e7 });
      expect(s.alpha, `b ${b}: hints change no α`).toEqual(ref.alpha);
      const [mine, theirs] = [rowFetches(p), rowFetches(full)];
      expect(mine.map((f) => f.need)).toEqual(theirs.map((f) => f.need));
      mine.forEach((f, k) => {
        const expected = theirs[k]!.hints!.filter((h) => !f.cached.has(h)).slice(0, b - 1);
        expect(f.hints ?? [], `b ${b}, fetch ${k}`).toEqual(expected);
      });
      const rebuilds = p.fetches.filter((f) => !f.row);
      expect(rebuilds.length, `b ${b}: the gradient was rebuilt`).toBeGreaterThan(0);
      for (const f of rebuilds) expect(f.need.length).toBeLessThanOrEqual(b);
    }
  });

  it("a provider's batchRows, when it has one, is a positive integer (NaN made every rebuild fetch nothing, 0 looped forever)", async () => {
    for (const b of [NaN, 0, -1, 2.5, Infinity, '4']) {
      const p = recording(K, L, b as number);
      await expectThrows(() => solveBinary(p, prob, { tol: 1e-3, maxIter: 1e7 }), ValueError, `batchRows ${String(b)}`, ['provider.batchRows must be a positive integer']);
      expect(p.fetches).toEqual([]);
    }
  });

  it('a problem it cannot solve is refused before any fetch (it returned α, "converged" or ρ = −∞, with no error)', async () => {
    const o = { tol: 1e-3, maxIter: 1e7 };
    const firstNegative = prob.y.findIndex((v) => v < 0); // 0 in the 0/1 labels
    const cases: [string, BinaryProblem, typeof o, string][] = [
      ['labels 0/1', { ...prob, y: prob.y.map((v) => (v > 0 ? 1 : 0)) }, o, `y[${firstNegative}] = 0; labels must be +1 or −1`],
      ['one class', { ...prob, y: prob.y.map(() => 1) }, o, `the ${L} labels are all +1; a binary problem needs both +1 and −1`],
      ['y shorter than index', { ...prob, y: prob.y.subarray(1) }, o, `y has ${L - 1} labels for ${L} points`],
      ['an index outside the provider', { ...prob, index: prob.index.map((g, i) => (i === 3 ? L + 2 : g)) }, o, `index[3] = ${L + 2} is not a point of the provider (0..${L - 1})`],
      ['C negative', { ...prob, C: -1 }, o, 'C must be a finite number > 0, got -1'],
      ['C NaN', { ...prob, C: Number.NaN }, o, 'C must be a finite number > 0, got NaN'],
      ['tol 0', prob, { ...o, tol: 0 }, 'tol must be a finite number > 0, got 0'],
      ['maxIter missing', prob, { tol: 1e-3 } as typeof o, 'maxIter must be a positive integer, got undefined'],
    ];
    for (const [name, pr, opts, message] of cases) {
      const p = recording(K, L);
      await expectThrows(() => solveBinary(p, pr, opts), ValueError, name, [`solveBinary: ${message}`]);
      expect(p.fetches, name).toEqual([]);
    }
  });
});

describe('bestFirst', () => {
  it('the first `count` of a sort by descending score, ties in ascending position', () => {
    const r = rng(3);
    for (const n of [0, 1, 3, 17, 63, 64, 65, 257, 1000]) {
      // Few distinct values (many ties), −∞ among them.
      const score = Float64Array.from(r.uniform(n, 0, 6), (u) => (u < 0.5 ? -Infinity : Math.floor(u) / 3));
      const sorted = Array.from({ length: n }, (_, k) => k).sort((p, q) => (score[p] === score[q] ? p - q : score[q]! > score[p]! ? 1 : -1));
      for (const count of [0, 1, 2, 5, 63, n - 1, n, n + 5]) {
        expect(bestFirst(score, n, count), `n ${n}, count ${count}`).toEqual(sorted.slice(0, Math.max(0, count)));
      }
      // Only the first n scores count.
      expect(bestFirst(Float64Array.of(...score, 99), n, 3)).toEqual(sorted.slice(0, 3));
    }
  });
});

describe('the providers say their batchRows', () => {
  const engines = useEngines();
  const x = { rows: 41, cols: 3, data: rng(5).uniform(41 * 3) };

  it('Float64RowProvider computes one row per fetch: batchRows 1', () => {
    expect(new Float64RowProvider(x, RBF, 1e6).batchRows).toBe(1);
  });

  for (const backend of ['cpu', 'gpu'] as const) {
    it(`EngineRowProvider (${backend}): its batch size, cut to half the cache; has() sees the cache without counting a use`, async () => {
      const e = engines[backend];
      expect(new EngineRowProvider(e, x, RBF, { cacheBytes: 6 * 4 * x.rows, batchRows: 64 }).batchRows).toBe(3);
      const p = new EngineRowProvider(e, x, RBF, { cacheBytes: 1e6, batchRows: 5 });
      expect(p.batchRows).toBe(5);
      expect(p.has(0)).toBe(false);
      await p.fetch([0], [1, 2, 3, 4, 5, 6]);
      expect(Array.from({ length: 8 }, (_, i) => p.has(i))).toEqual([true, true, true, true, true, false, false, false]);
      expect(p.stats).toEqual({ rowsComputed: 5, batches: 1, cacheHits: 0 });
      p.dispose();
    });
  }
});
