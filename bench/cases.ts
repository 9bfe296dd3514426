// The benchmark workloads as plain data, shared by the Node runner (bench/node.ts) and the
// browser page (bench/browser/): seeded inputs, float64 references computed on the host
// (independently of every backend), the checks that compare an output with them, and how a
// workload's throughput is counted. No engine and no Node API here: the page imports it.

export interface CheckResult {
  ok: boolean;
  /** What was compared and the error seen, e.g. "64 samples, max |err| = 1.1e-7 (≤ 1e-5); …". */
  detail: string;
}

export type WorkloadName = 'matmul' | 'sigmoid' | 'gram' | 'mlp';
export type Unit = 'GFLOP/s' | 'GB/s' | 'M entries/s' | 'samples/s';

export interface MatmulData { kind: 'matmul'; n: number; a: Float32Array; b: Float32Array }
export interface SigmoidData { kind: 'sigmoid'; n: number; x: Float32Array }
export interface GramData { kind: 'gram'; n: number; m: number; d: number; x: Float32Array; y: Float32Array; gamma: number; coef0: number }
/** One SGD step of a dense MLP (sigmoid hidden layers, softmax cross-entropy, mean over the batch). */
export interface MlpData {
  kind: 'mlp';
  /** Layer widths, input to output, e.g. [784, 256, 256, 10]. */
  widths: number[];
  batch: number;
  lr: number;
  /** [batch, widths[0]] row-major. */
  x: Float32Array;
  /** One-hot targets [batch, classes]. */
  y: Float32Array;
  labels: Int32Array;
  /** Initial weights [in, out] row-major and biases [out], per dense layer. */
  weights: Float32Array[];
  biases: Float32Array[];
}
export type CaseData = MatmulData | SigmoidData | GramData | MlpData;

/** A workload made for one backend: its inputs and the check of its output. */
export interface Made<D extends CaseData = CaseData> {
  data: D;
  /**
   * Compares an output with float64. `step` counts the runs on this backend (0 = warm-up);
   * only the MLP step uses it (its state changes from run to run).
   */
  check(out: Float32Array, step: number): CheckResult;
}

export interface CaseSpec<D extends CaseData = CaseData> {
  name: WorkloadName;
  /** Size as shown in the table, e.g. "1024", "2^22", "4096×4096, d=64". */
  size: string;
  /** Throughput for a run of `seconds`, and its unit. */
  throughput(seconds: number): number;
  unit: Unit;
  make(): Made<D>;
}

export const SAMPLES = 64;

/**
 * C = A·B, N×N, inputs uniform in [−1, 1]; 2N³ flops; checked ‖out − ref‖/‖ref‖ ≤ 1e-5 on
 * samples, and on every entry at once as out·v against A·(B·v) (sketch(): the same measure).
 */
export function matmulCase(n: number): CaseSpec<MatmulData> {
  return {
    name: 'matmul',
    size: String(n),
    unit: 'GFLOP/s',
    throughput: (s) => (2 * n ** 3) / s / 1e9,
    make() {
      const rng = mulberry32(n);
      const a = uniform(rng, n * n, -1, 1);
      const b = uniform(rng, n * n, -1, 1);
      const v = uniform(rng, n, -1, 1);
      const abv = matmul64(a, matmul64(b, v, n, n, 1), n, n, 1);
      return {
        data: { kind: 'matmul', n, a, b },
        check: wholeOutput(n * n, (out) => {
          const idx = sampleIndices(rng, n * n);
          const ref = idx.map((i) => {
            const r = Math.floor(i / n);
            const c = i % n;
            let s = 0;
            for (let k = 0; k < n; k++) s += a[r * n + k]! * b[k * n + c]!;
            return s;
          });
          const { rmsErr, rmsRef } = sketch(out, v, abv);
          const rel = rmsErr / rmsRef;
          return both(relNormCheck(idx.map((i) => out[i]!), ref, 1e-5), {
            ok: rel <= 1e-5, detail: `all ${n * n} entries through out·v, rms err / rms ref ≈ ${rel.toExponential(1)} (≤ 1e-5)`,
          });
        }),
      };
    },
  };
}

/** y = σ(x) on n floats in [−8, 8]; counts 8 bytes per element (read + write); |out − ref| ≤ 1e-6 on every entry. */
export function sigmoidCase(n: number): CaseSpec<SigmoidData> {
  const log2 = Math.log2(n);
  return {
    name: 'sigmoid',
    size: Number.isInteger(log2) ? `2^${log2}` : String(n),
    unit: 'GB/s',
    throughput: (s) => (8 * n) / s / 1e9,
    make() {
      const rng = mulberry32(n);
      const x = uniform(rng, n, -8, 8);
      return {
        data: { kind: 'sigmoid', n, x },
        check: wholeOutput(n, (out) => {
          let worst = 0;
          for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(out[i]! - 1 / (1 + Math.exp(-x[i]!))));
          return { ok: worst <= 1e-6, detail: `all ${n} entries, max |err| = ${worst.toExponential(1)} (≤ 1e-6)` };
        }),
      };
    },
  };
}

/**
 * K = tanh(γ·X·Yᵀ + c₀), X [n, d], Y [m, d] uniform in [0, 1] (like scaled pixels),
 * γ = 1/d, c₀ = 0; counted in entries of K per second; |out − ref| ≤ 1e-5 on samples, and
 * every entry at once as atanh(out)·v against γ·X·(Yᵀ·v) + c₀·Σv (sketch(): rms error ≤ 1e-5;
 * γ⟨x, y⟩ + c₀ is in [0, 1] here, where atanh magnifies an error 2.4× at most).
 */
export function gramCase(n: number, m: number, d: number): CaseSpec<GramData> {
  const gamma = 1 / d;
  const coef0 = 0;
  return {
    name: 'gram',
    size: `${n}×${m}, d=${d}`,
    unit: 'M entries/s',
    throughput: (s) => (n * m) / s / 1e6,
    make() {
      const rng = mulberry32(n * m + d);
      const x = uniform(rng, n * d, 0, 1);
      const y = uniform(rng, m * d, 0, 1);
      const v = uniform(rng, m, -1, 1);
      const yv = matmul64(v, y, 1, m, d); // Yᵀ·v, as vᵀ·Y
      const c0v = coef0 * v.reduce((t, vj) => t + vj, 0);
      const zv = matmul64(x, yv, n, d, 1).map((s) => gamma * s + c0v);
      return {
        data: { kind: 'gram', n, m, d, x, y, gamma, coef0 },
        check: wholeOutput(n * m, (out) => {
          const idx = sampleIndices(rng, n * m);
          const ref = idx.map((e) => {
            const i = Math.floor(e / m);
            const j = e % m;
            let s = 0;
            for (let k = 0; k < d; k++) s += x[i * d + k]! * y[j * d + k]!;
            return Math.tanh(gamma * s + coef0);
          });
          const { rmsErr } = sketch(out, v, zv, Math.atanh);
          return both(absCheck(idx.map((e) => out[e]!), ref, 1e-5), {
            ok: rmsErr <= 1e-5, detail: `all ${n * m} entries through atanh(out)·v, rms |err| ≈ ${rmsErr.toExponential(1)} (≤ 1e-5)`,
          });
        }),
      };
    },
  };
}

/**
 * One SGD step (lr) of an MLP with sigmoid hidden layers and softmax cross-entropy (mean
 * over the batch), on a fixed batch already on the device. Inputs uniform in [0, 1], labels
 * uniform over the classes, Glorot-uniform weights, zero biases — the same for every backend.
 *
 * The output a backend reports after a step is [loss of that step (before its update),
 * then every weight matrix after the update, input to output]. The check replays the same
 * steps in float64 on the host: the loss must match to 1e-4 (relative) and, over every
 * entry of each weight matrix, the change since the initial weights must match the
 * float64 change to 1e-3 (‖Δ − Δref‖/‖Δref‖), so a step that skips or botches the update
 * fails. Counted in samples per second (batch / step time).
 */
export function mlpCase(widths: number[], batch: number, lr: number): CaseSpec<MlpData> {
  let shared: { data: MlpData; ref: ReturnType<typeof mlpReference> } | null = null;
  const makeMlp = () => {
      const rng = mulberry32(batch * 7919 + widths.length);
    const weights: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (let l = 0; l + 1 < widths.length; l++) {
      const [fanIn, fanOut] = [widths[l]!, widths[l + 1]!];
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      weights.push(uniform(rng, fanIn * fanOut, -lim, lim));
      biases.push(new Float32Array(fanOut));
    }
    const inputs = widths[0]!;
    const classes = widths[widths.length - 1]!;
    const x = uniform(rng, batch * inputs, 0, 1);
    const labels = new Int32Array(batch);
    const y = new Float32Array(batch * classes);
    for (let r = 0; r < batch; r++) {
      labels[r] = Math.floor(rng() * classes);
      y[r * classes + labels[r]!] = 1;
    }
    const data: MlpData = { kind: 'mlp', widths, batch, lr, x, y, labels, weights, biases };
    return { data, ref: mlpReference(data) };
  };
  return {
    name: 'mlp',
    size: `${widths.join('-')}, batch ${batch}`,
    unit: 'samples/s',
    throughput: (s) => batch / s,
    make() {
      // Made once and shared: every backend gets the same data, and the float64 replay is computed once.
      shared ??= makeMlp();
      const { data, ref } = shared;
      const { weights } = data;
      return {
        data,
        check(out, step) {
          const { loss, after } = ref.step(step);
          const bad = wholeOutputProblem(out, 1 + weights.reduce((s, w) => s + w.length, 0));
          if (bad !== null) return { ok: false, detail: `step ${step + 1}: ${bad}` };
          const lossErr = Math.abs(out[0]! - loss) / Math.abs(loss);
          let offset = 1;
          let worst = 0;
          for (let l = 0; l < weights.length; l++) {
            // Typed arrays, not number[]: the check runs between timed steps, so it keeps the heap small.
            const w0 = weights[l]!;
            const got = new Float64Array(w0.length);
            const want = new Float64Array(w0.length);
            for (let i = 0; i < w0.length; i++) {
              got[i] = out[offset + i]! - w0[i]!;
              want[i] = after[l]![i]! - w0[i]!;
            }
            const c = relNormCheck(got, want, 1e-3);
            if (!c.ok) return { ok: false, detail: `step ${step + 1}, W${l + 1} update: ${c.detail}` };
            worst = Math.max(worst, relErr(got, want));
            offset += w0.length;
          }
          const ok = lossErr <= 1e-4;
          return {
            ok,
            detail:
              `step ${step + 1}: loss ${out[0]!.toFixed(5)} vs float64 ${loss.toFixed(5)} (rel. err ${lossErr.toExponential(1)} ≤ 1e-4); ` +
              `every weight's update, worst ‖Δ−Δref‖/‖Δref‖ of a matrix = ${worst.toExponential(1)} (≤ 1e-3)`,
          };
        },
      };
    },
  };
}

/**
 * Float64 replay of the MLP's SGD steps from the same initial weights and batch; step k
 * (0-based) gives the loss before its update and the weights after it. Steps are computed
 * once, on demand, and cached (every backend replays the same trajectory).
 */
function mlpReference(d: MlpData): { step(k: number): { loss: number; after: Float64Array[] } } {
  const W = d.weights.map((w) => Float64Array.from(w));
  const B = d.biases.map((b) => Float64Array.from(b));
  const done: { loss: number; after: Float64Array[] }[] = [];
  const L = W.length;
  const rows = d.batch;
  return {
    step(k) {
      while (done.length <= k) {
        // forward
        const acts: Float64Array[] = [Float64Array.from(d.x)];
        for (let l = 0; l < L; l++) {
          const [nIn, nOut] = [d.widths[l]!, d.widths[l + 1]!];
          const z = matmul64(acts[l]!, W[l]!, rows, nIn, nOut);
          for (let r = 0; r < rows; r++) {
            for (let j = 0; j < nOut; j++) {
              const v = z[r * nOut + j]! + B[l]![j]!;
              z[r * nOut + j] = l < L - 1 ? 1 / (1 + Math.exp(-v)) : v;
            }
          }
          acts.push(z);
        }
        // softmax cross-entropy (mean over rows) and its gradient
        const C = d.widths[L]!;
        const logits = acts[L]!;
        let delta = new Float64Array(rows * C);
        let loss = 0;
        for (let r = 0; r < rows; r++) {
          let mx = -Infinity;
          for (let j = 0; j < C; j++) mx = Math.max(mx, logits[r * C + j]!);
          let se = 0;
          for (let j = 0; j < C; j++) se += Math.exp(logits[r * C + j]! - mx);
          const lse = mx + Math.log(se);
          for (let j = 0; j < C; j++) {
            const p = Math.exp(logits[r * C + j]! - lse);
            const t = d.y[r * C + j]!;
            loss -= t * (logits[r * C + j]! - lse);
            delta[r * C + j] = (p - t) / rows;
          }
        }
        loss /= rows;
        // backward and update
        for (let l = L - 1; l >= 0; l--) {
          const [nIn, nOut] = [d.widths[l]!, d.widths[l + 1]!];
          const a = acts[l]!;
          const dW = new Float64Array(nIn * nOut);
          for (let r = 0; r < rows; r++) {
            for (let i = 0; i < nIn; i++) {
              const av = a[r * nIn + i]!;
              if (av === 0) continue;
              const o = i * nOut;
              for (let j = 0; j < nOut; j++) dW[o + j] = dW[o + j]! + av * delta[r * nOut + j]!;
            }
          }
          const db = new Float64Array(nOut);
          for (let r = 0; r < rows; r++) for (let j = 0; j < nOut; j++) db[j] = db[j]! + delta[r * nOut + j]!;
          if (l > 0) {
            const next = new Float64Array(rows * nIn);
            for (let r = 0; r < rows; r++) {
              for (let i = 0; i < nIn; i++) {
                let s = 0;
                for (let j = 0; j < nOut; j++) s += delta[r * nOut + j]! * W[l]![i * nOut + j]!;
                const h = a[r * nIn + i]!;
                next[r * nIn + i] = s * h * (1 - h);
              }
            }
            delta = next;
          }
          const w = W[l]!;
          for (let i = 0; i < w.length; i++) w[i] = w[i]! - d.lr * dW[i]!;
          const b = B[l]!;
          for (let j = 0; j < nOut; j++) b[j] = b[j]! - d.lr * db[j]!;
        }
        done.push({ loss, after: W.map((w) => Float64Array.from(w)) });
      }
      return done[k]!;
    },
  };
}

/** a [n, k] times b [k, m] (row-major), in float64. */
function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const av = a[r * k + i]!;
      if (av === 0) continue;
      const o = i * m;
      for (let j = 0; j < m; j++) out[r * m + j] = out[r * m + j]! + av * b[o + j]!;
    }
  }
  return out;
}

// ---- checks ----------------------------------------------------------------------------------

/**
 * Why an output cannot be right whatever its sampled entries say, or null: it must have
 * exactly `length` values, every one finite (a NaN the samples miss is still a wrong answer).
 */
export function wholeOutputProblem(out: Float32Array, length: number): string | null {
  if (out.length !== length) return `output has ${out.length} values, expected ${length}`;
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) return `output[${i}] is ${out[i]}`;
  return null;
}

/** `check` of an output that passed wholeOutputProblem (else that problem). */
function wholeOutput(length: number, check: (out: Float32Array) => CheckResult): (out: Float32Array) => CheckResult {
  return (out) => {
    const bad = wholeOutputProblem(out, length);
    return bad === null ? check(out) : { ok: false, detail: bad };
  };
}

/**
 * Every entry of a [rows, v.length] output at once (Freivalds' check): its rows' sums
 * Σⱼ f(out[i, j])·vⱼ against `ref`, the float64 reference's, for a random v. A wrong entry
 * anywhere moves its row's sum, where the 64 samples see one entry in size/64. With v random,
 * ‖sums − ref‖ / (‖v‖·√rows) estimates the rms error of f(out) over all its entries, and
 * ‖ref‖ / (‖v‖·√rows) the rms of the reference when its entries have no common offset.
 */
function sketch(out: Float32Array, v: Float32Array, ref: Float64Array, f: (x: number) => number = (x) => x): { rmsErr: number; rmsRef: number } {
  const cols = v.length;
  let d2 = 0;
  let r2 = 0;
  for (let i = 0; i < ref.length; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += f(out[i * cols + j]!) * v[j]!;
    d2 += (s - ref[i]!) ** 2;
    r2 += ref[i]! ** 2;
  }
  const scale = Math.sqrt(ref.length * v.reduce((t, x) => t + x * x, 0));
  return { rmsErr: Math.sqrt(d2) / scale, rmsRef: Math.sqrt(r2) / scale };
}

function both(a: CheckResult, b: CheckResult): CheckResult {
  return { ok: a.ok && b.ok, detail: `${a.detail}; ${b.detail}` };
}

function relErr(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d2 = 0;
  let r2 = 0;
  for (let i = 0; i < out.length; i++) {
    d2 += (out[i]! - ref[i]!) ** 2;
    r2 += ref[i]! ** 2;
  }
  return Math.sqrt(d2 / r2);
}

export function relNormCheck(out: ArrayLike<number>, ref: ArrayLike<number>, tol: number): CheckResult {
  if (Array.prototype.some.call(out, (v: number) => !Number.isFinite(v))) return { ok: false, detail: `${out.length} samples: non-finite output` };
  const rel = relErr(out, ref);
  return { ok: rel <= tol, detail: `${out.length} samples, ‖err‖/‖ref‖ = ${rel.toExponential(1)} (≤ ${tol.toExponential(0)})` };
}

export function absCheck(out: number[], ref: number[], tol: number): CheckResult {
  if (out.some((v) => !Number.isFinite(v))) return { ok: false, detail: `${out.length} samples: non-finite output` };
  const worst = Math.max(...out.map((v, i) => Math.abs(v - ref[i]!)));
  return { ok: worst <= tol, detail: `${out.length} samples, max |err| = ${worst.toExponential(1)} (≤ ${tol.toExponential(0)})` };
}

// ---- seeded inputs ---------------------------------------------------------------------------

/** A small seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(rng: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** SAMPLES distinct-ish random indices in [0, size), always including the first and last. */
export function sampleIndices(rng: () => number, size: number): number[] {
  const idx = [0, size - 1];
  while (idx.length < SAMPLES) idx.push(Math.floor(rng() * size));
  return idx;
}
