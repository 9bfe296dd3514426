// Property-based fuzzing (fast-check) of the public ops and the CSV reader. Every outcome
// must be either a correct result or a SigmoidCoreError subclass: never a generic
// TypeError/RangeError, never a hang (each run is raced against a timeout).
//
// Ops (WebGPU engine): random shapes (valid, 0, negative, fractional, huge), random values,
// random options (transposes, activations, kernels with γ/c₀/degree, some invalid). With
// moderate finite inputs the result must match the float64 reference (test/helpers/
// reference.ts) within the project tolerances; with extreme inputs (NaN, ±Inf, ±3e38,
// denormals) only the outcome type is checked, plus: no NaN where the CPU engine's result
// is finite for the elementwise ops (WGSL does not pin down NaN/Inf arithmetic, so deeper
// agreement on non-finite data is not promised).
//
// Deterministic: fixed seed (printed); FUZZ_RUNS=<n> runs more, FUZZ_SEED=<n> another seed.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { useEngines } from './helpers/engines.js';
import { expectClose } from './helpers/expectClose.js';
import { refActivation, refGram, refMatmul } from './helpers/reference.js';
import { type Engine, SigmoidCoreError, type Tensor } from '../src/index.js';
import { CsvError, readCsv } from '../src/io/csv.js';
import { describeError } from '../tools/describe-error.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const runs = (n: number): number => (RUNS > 0 ? RUNS : n);
console.log(`fuzz: seed ${SEED}${RUNS > 0 ? `, ${RUNS} runs per property` : ''}`);

const engines = useEngines();

const PER_RUN_MS = 20_000;
async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${PER_RUN_MS} ms (hang)`)), PER_RUN_MS);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outcome of a call: a value or a typed error; anything else fails the property. */
const tally = { results: 0, typedErrors: new Map<string, number>() };
async function outcome<T>(what: string, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
  try {
    const value = await withTimeout(fn(), what);
    tally.results++;
    return { ok: true, value };
  } catch (err) {
    if (err instanceof SigmoidCoreError) {
      tally.typedErrors.set(err.name, (tally.typedErrors.get(err.name) ?? 0) + 1);
      return { ok: false };
    }
    throw new Error(`${what}: expected a result or a SigmoidCoreError, got ${describeError(err)}`);
  }
}

// ---- arbitraries -----------------------------------------------------------------------

/** Mostly small valid dimensions, sometimes 0, negative, fractional, NaN or huge. */
const dim = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 9 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2.5, Number.NaN, 1e9, 2 ** 31) },
);
const moderate = fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });
const extreme = fc.oneof(
  moderate,
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 3e38, -3e38, 1e-45, -1e-45, 1.1754942e-38, 0, -0),
);

interface Operand {
  shape: number[];
  values: number[];
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A matrix operand: its shape, and values for it when the shape is small and valid. */
function operand(rows: fc.Arbitrary<number>, cols: fc.Arbitrary<number>, vals: fc.Arbitrary<number>): fc.Arbitrary<Operand> {
  return fc.tuple(rows, cols).chain(([r, c]) => {
    const n = Number.isInteger(r) && Number.isInteger(c) && r > 0 && c > 0 && r * c <= 400 ? r * c : 3;
    return fc.array(vals, { minLength: n, maxLength: n }).map((values) => ({ shape: [r, c], values }));
  });
}

/** engine.tensor(values, shape), freed by the caller via `made`. */
function mk(e: Engine, o: Operand, made: Tensor[]): Tensor {
  const t = e.tensor(o.values, o.shape);
  made.push(t);
  return t;
}

const KERNELS = ['sigmoid', 'logistic', 'linear', 'polynomial', 'rbf', 'projected-sigmoid', 'cosine'] as const;
const ACTS = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'identity', 'softplus'] as const;

// ---- ops ---------------------------------------------------------------------------------

describe('fuzz: public ops on WebGPU', () => {
  afterAll(() => console.log(`fuzz ops: ${tally.results} results, typed errors ${JSON.stringify(Object.fromEntries(tally.typedErrors))}`));
  it('matmul with random shapes, values and transposes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(), fc.boolean(), fc.boolean(), dim, dim, dim, fc.integer({ min: 0, max: 2 }),
        fc.infiniteStream(moderate), fc.infiniteStream(extreme),
        async (useExtreme, ta, tb, m, k, n, mismatch, s1, s2) => {
          const e = engines.gpu;
          const src = useExtreme ? s2 : s1;
          const ashape = ta ? [k, m] : [m, k];
          const bshape = tb ? [n, k + mismatch] : [k + mismatch, n];
          const vals = (s: number[]): number[] => {
            const c = Number.isInteger(size(s)) && size(s) > 0 && size(s) <= 400 ? size(s) : 3;
            return Array.from({ length: c }, () => src.next().value);
          };
          const A: Operand = { shape: ashape, values: vals(ashape) };
          const B: Operand = { shape: bshape, values: vals(bshape) };
          const made: Tensor[] = [];
          try {
            const r = await outcome('matmul', async () => {
              const out = e.matmul(mk(e, A, made), mk(e, B, made), { transposeA: ta, transposeB: tb });
              made.push(out);
              return out.read();
            });
            if (!r.ok) return;
            if (!useExtreme) {
              const ref = refMatmul(A.values.map(Math.fround), B.values.map(Math.fround), m, n, k, ta, tb);
              expectClose(r.value, ref, { relNorm: 1e-5, atol: 1e-5 * (k + 1) * 16, label: `matmul ${m}×${k}×${n} ta=${ta} tb=${tb}` });
            }
          } finally {
            for (const t of made) t.dispose();
          }
        },
      ),
      { seed: SEED, numRuns: runs(100) },
    );
  });

  it('activations and elementwise ops against the CPU engine and the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(), fc.constantFrom(...ACTS), fc.oneof(fc.constant(undefined), fc.double({ noNaN: false })), dim, dim,
        fc.constantFrom('add', 'sub', 'mul', 'scale', 'sum', 'mean', 'softmax', 'colSums'),
        fc.infiniteStream(moderate), fc.infiniteStream(extreme),
        async (useExtreme, act, param, r, c, op, s1, s2) => {
          const src = useExtreme ? s2 : s1;
          const n = Number.isInteger(r) && Number.isInteger(c) && r > 0 && c > 0 && r * c <= 400 ? r * c : 3;
          const values = Array.from({ length: n }, () => src.next().value);
          const X: Operand = { shape: [r, c], values };
          const spec = act === 'sigmoid' ? { kind: act, alpha: param } : act === 'leakyRelu' ? { kind: act, slope: param } : act;
          const run = async (e: Engine): Promise<{ ok: true; value: Float32Array[] } | { ok: false }> => {
            const made: Tensor[] = [];
            try {
              return await outcome(`${String(act)}/${op}`, async () => {
                const x = mk(e, X, made);
                const y = e.activation(x, spec as never);
                made.push(y);
                const z = op === 'scale' ? e.scale(x, param ?? 2)
                  : op === 'sum' ? e.sum(y) : op === 'mean' ? e.mean(y) : op === 'softmax' ? e.softmax(y) : op === 'colSums' ? e.colSums(y)
                    : e[op as 'add'](x, y);
                made.push(z);
                return [await y.read(), await z.read()];
              });
            } finally {
              for (const t of made) t.dispose();
            }
          };
          const g = await run(engines.gpu);
          const cpu = await run(engines.cpu);
          expect(g.ok, 'WebGPU and CPU agree on accepting the input').toBe(cpu.ok);
          if (!g.ok || !cpu.ok) return;
          const [gy, gz] = g.value;
          const [cy, cz] = cpu.value;
          // Never NaN where the CPU engine is finite (activations, on any input).
          cy!.forEach((v, i) => {
            if (Number.isFinite(v) && Number.isNaN(gy![i]!)) throw new Error(`${String(act)}: WebGPU NaN at [${i}] where CPU gives ${v} (x = ${values[i]})`);
          });
          if (!useExtreme) {
            if (typeof act === 'string' && act !== 'leakyRelu' && act !== 'sigmoid') {
              expectClose(gy!, refActivation(act as 'tanh', values.map(Math.fround)), { atol: 1e-6, rtol: 1e-6, label: `${act} reference` });
            }
            expectClose(gy!, cy!, { atol: 1e-5, rtol: 1e-5, label: `${String(act)} GPU vs CPU` });
            expectClose(gz!, cz!, { atol: 1e-4 * Math.sqrt(n), rtol: 1e-5, label: `${op} GPU vs CPU` });
          }
        },
      ),
      { seed: SEED + 1, numRuns: runs(100) },
    );
  });

  it('gram with random kernels and options (incl. invalid)', async () => {
    const num = fc.oneof(
      { weight: 6, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -1, 0, 1e300, 3e38) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(), operand(dim, fc.integer({ min: 1, max: 6 }), moderate), fc.option(operand(dim, fc.integer({ min: 1, max: 6 }), moderate)),
        fc.constantFrom(...KERNELS), fc.option(num, { nil: undefined }), fc.option(num, { nil: undefined }),
        fc.option(fc.constantFrom(1, 2, 3, 4, 0, 2.5, -1), { nil: undefined }), fc.array(moderate, { minLength: 1, maxLength: 6 }),
        async (useExtreme, X, Y, kernel, gamma, coef0, degree, proj) => {
          const e = engines.gpu;
          const xv = useExtreme ? { ...X, values: X.values.map((v, i) => (i === 0 ? Number.NaN : v)) } : X;
          const opts = { kernel, gamma, coef0, degree, ...(kernel === 'projected-sigmoid' ? { alpha: proj, beta: proj } : {}) };
          const made: Tensor[] = [];
          try {
            const r = await outcome(`gram ${kernel}`, async () => {
              const k = e.gram(mk(e, xv, made), Y === null ? null : mk(e, Y, made), opts as never);
              made.push(k);
              return k.read();
            });
            if (!r.ok || useExtreme) return;
            const [n, d] = X.shape as [number, number];
            const yy = Y ?? X;
            const m = yy.shape[0]!;
            const proj = kernel === 'projected-sigmoid';
            const ref = refGram(X.values.map(Math.fround), yy.values.map(Math.fround), n, m, d, {
              kernel, gamma: gamma ?? (proj ? 0 : 1 / d), coef0: coef0 ?? 1, degree: degree ?? 3,
              ...(proj ? { alpha: opts.alpha, beta: opts.beta } : {}),
            } as never);
            const big = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
            if (!Number.isFinite(big) || big > 1e30) return; // the float64 value is beyond float32: nothing to compare
            expectClose(r.value, ref, { atol: 1e-5 * Math.max(1, big), rtol: 1e-4, label: `gram ${kernel} γ=${gamma} c₀=${coef0} deg=${degree}` });
          } finally {
            for (const t of made) t.dispose();
          }
        },
      ),
      { seed: SEED + 2, numRuns: runs(100) },
    );
  });
});

// ---- CSV ---------------------------------------------------------------------------------

/** The simple reference parse: no quotes, so split on commas; returns data or the first bad cell. */
function refParse(lines: string[][]): { data: number[] } | { line: number; column: number } {
  const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  const data: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    for (let j = 0; j < lines[i]!.length; j++) {
      const t = lines[i]![j]!.trim();
      if (!NUMBER.test(t) || !Number.isFinite(Math.fround(Number(t)))) return { line: i + 1, column: j + 1 };
      data.push(Math.fround(Number(t)));
    }
  }
  return { data };
}

describe('fuzz: readCsv', () => {
  it('random text: a matrix or a CsvError with a 1-based line and column', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('1', '2', '.', '-', 'e', ',', '\n', '\r\n', '"', ' ', 'a', 'N', '9', 'E', '+') , maxLength: 60 }), (text) => {
        try {
          const m = readCsv(text);
          expect(m.data.length).toBe(m.rows * m.cols);
          expect(m.rows).toBeGreaterThan(0);
          for (const v of m.data) expect(Number.isFinite(v)).toBe(true);
        } catch (err) {
          if (!(err instanceof CsvError)) throw err;
          const lines = text.split(/\r?\n/).length;
          expect(err.line).toBeGreaterThanOrEqual(1);
          expect(err.line).toBeLessThanOrEqual(Math.max(2, lines));
          expect(err.column).toBeGreaterThanOrEqual(1);
          expect(Number.isInteger(err.line) && Number.isInteger(err.column)).toBe(true);
        }
      }),
      { seed: SEED + 3, numRuns: runs(500) },
    );
  });

  it('near-valid CSV with random bad cells: equal to the reference parse, or the right line/column', () => {
    const good = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.float({ noNaN: true, noDefaultInfinity: true }).map(String));
    const bad = fc.constantFrom('x', '', 'NaN', 'Infinity', '1e39', '--1', '1.2.3', '0x10', ' ');
    const cell = fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: bad });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.boolean(), fc.gen(), (cols, rows, crlf, header, g) => {
        const lines = Array.from({ length: rows }, () => Array.from({ length: cols }, () => g(() => cell)));
        const head = Array.from({ length: cols }, (_, j) => `c${j}`);
        const text = [...(header ? [head] : []), ...lines].map((l) => l.join(',')).join(crlf ? '\r\n' : '\n') + '\n';
        const ref = refParse(lines);
        const offset = header ? 1 : 0;
        let got: ReturnType<typeof readCsv> | CsvError;
        try {
          got = readCsv(text);
        } catch (err) {
          if (!(err instanceof CsvError)) throw err;
          got = err;
        }
        if ('data' in ref) {
          if (got instanceof CsvError) throw new Error(`valid CSV refused: ${got.message}\n${text}`);
          expect(got.rows).toBe(rows);
          expect(Array.from(got.data)).toEqual(ref.data);
        } else if (!header && ref.line === 1) {
          // A bad cell on line 1 without a header makes line 1 a header: then rows − 1 data rows.
          if (got instanceof CsvError) expect(got.line).toBeGreaterThanOrEqual(1);
          else expect(got.header).not.toBeNull();
        } else {
          if (!(got instanceof CsvError)) throw new Error(`bad cell at line ${ref.line + offset}, column ${ref.column} accepted\n${text}`);
          expect([got.line, got.column]).toEqual([ref.line + offset, ref.column]);
        }
      }),
      { seed: SEED + 4, numRuns: runs(300) },
    );
  });
});
