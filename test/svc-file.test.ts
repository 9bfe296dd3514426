// SVC.save / SVC.load (src/kernels/svc/svc-file.ts) on fresh random data: a loaded model
// holds the same classes, support vectors and coefficients and gives the same decision
// values as the fitted one (bit for bit in float64; on the engine it was fitted on, the same
// engine computation); every malformed field is refused with a ValueError naming it.
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, type Matrix, parseSafetensors, SVC, type SVCOptions, ValueError } from '../src/index.js';
import { useEngines } from './helpers/engines.js';
import { expectClose, expectThrows } from './helpers/expectClose.js';
import { Rng } from './helpers/rng.js';

const engines = useEngines();

/** `k` Gaussian blobs in `d` dimensions, `perClass` rows each, labelled by `labels`. */
function blobs(seed: number, labels: readonly number[], perClass: number, d: number): { x: Matrix; y: number[] } {
  const rng = new Rng(seed);
  const centres = labels.map(() => rng.uniform(d, -2, 2));
  const data = new Float32Array(labels.length * perClass * d);
  const y: number[] = [];
  labels.forEach((label, c) => {
    for (let i = 0; i < perClass; i++) {
      const row = y.length;
      const noise = rng.randn(d);
      for (let j = 0; j < d; j++) data[row * d + j] = centres[c]![j]! + noise[j]!;
      y.push(label);
    }
  });
  return { x: { rows: y.length, cols: d, data }, y };
}

/** The values with −0 as 0: JSON, which holds the coefficients, has no −0 (and no sum tells them apart). */
const plain = (v: ArrayLike<number>): number[] => Array.from(v, (x) => x + 0);

function sameModel(a: SVC, b: SVC): void {
  expect(b.classes).toEqual(a.classes);
  expect(b.nSupport).toEqual(a.nSupport);
  expect(Array.from(b.supportIndices)).toEqual(Array.from(a.supportIndices));
  expect(b.supportVectors).toEqual(a.supportVectors);
  expect(plain(b.dualCoef.data)).toEqual(plain(a.dualCoef.data));
  expect(plain(b.intercept)).toEqual(plain(a.intercept));
  expect(b.options).toEqual(a.options);
}

describe('SVC save → load', () => {
  const cases: [string, SVCOptions, number[]][] = [
    ['4 classes, sigmoid kernel with c₀', { kernel: 'sigmoid', gamma: 0.05, coef0: -0.5, C: 3 }, [0, 1, 2, 5]],
    ['2 classes with labels -3 and 7, rbf γ scale', { kernel: 'rbf', C: 0.7 }, [-3, 7]],
    ['3 classes, polynomial degree 2', { kernel: 'polynomial', gamma: 0.3, coef0: 1, degree: 2, C: 2 }, [1, 2, 3]],
  ];
  for (const [name, options, labels] of cases) {
    it(`float64: ${name}: the same model and bit-identical decision values`, async () => {
      const seed = (Date.now() ^ labels.length) >>> 0;
      const { x, y } = blobs(seed, labels, 23, 5);
      const fitted = await new SVC({ ...options, provider: 'float64' }).fit(null, x, y);
      const loaded = SVC.load(fitted.save(), null);
      sameModel(fitted, loaded);
      const fresh = blobs(seed + 1, labels, 7, 5).x;
      const [a, b] = [await fitted.decisionFunction(fresh), await loaded.decisionFunction(fresh)];
      expect([b.rows, b.cols]).toEqual([a.rows, a.cols]);
      expect(Array.from(b.data), `seed ${seed}`).toEqual(Array.from(a.data));
      expect(await loaded.predict(fresh)).toEqual(await fitted.predict(fresh));
      expect(await loaded.score(x, y)).toBe(await fitted.score(x, y));
    });
  }

  it('engine: fitted on the CPU engine, loaded onto it gives the same values; onto WebGPU, close ones', async () => {
    const seed = Date.now() >>> 0;
    const { x, y } = blobs(seed, [0, 1, 2], 19, 6);
    const fitted = await new SVC({ kernel: 'sigmoid', gamma: 0.04, coef0: 0.2, C: 5 }).fit(engines.cpu, x, y);
    const bytes = fitted.save();
    const fresh = blobs(seed + 1, [0, 1, 2], 9, 6).x;
    const want = await fitted.decisionFunction(fresh);
    const onCpu = SVC.load(bytes, engines.cpu);
    sameModel(fitted, onCpu);
    expect(Array.from((await onCpu.decisionFunction(fresh)).data), `seed ${seed}`).toEqual(Array.from(want.data));
    const onGpu = await SVC.load(bytes, engines.gpu).decisionFunction(fresh);
    // float32 kernel rows on the GPU: |Δ| ≤ 1e-4 · Σ|αᵢ| bounds each value's change.
    const scale = fitted.dualCoef.data.reduce((s, v) => s + Math.abs(v), 0);
    expectClose(onGpu.data, want.data, { atol: 1e-4 * scale, rtol: 0, label: `seed ${seed}` });
    // With no engine it predicts in float64 on the host.
    const host = await SVC.load(bytes, null).decisionFunction(fresh);
    expectClose(host.data, want.data, { atol: 1e-4 * scale, rtol: 0, label: `seed ${seed}` });
  });

  it('an unfitted SVC cannot be saved; a loaded one has no fitInfo and says why', async () => {
    await expectThrows(() => new SVC().save(), ValueError, 'unfitted save', ['not fitted']);
    const { x, y } = blobs(1, [0, 1], 10, 3);
    const loaded = SVC.load((await new SVC({ provider: 'float64' }).fit(null, x, y)).save(), null);
    await expectThrows(() => loaded.fitInfo, ValueError, 'fitInfo', ['loaded from a file']);
  });
});

describe('SVC.load refuses a malformed file, naming what is wrong', () => {
  const modelBytes = async (): Promise<Uint8Array> => {
    const { x, y } = blobs(7, [0, 1, 2], 12, 4);
    return (await new SVC({ kernel: 'rbf', gamma: 0.2, provider: 'float64' }).fit(null, x, y)).save();
  };
  /** The model's bytes with __metadata__ changed by `edit` (and the tensor, by `tensor`). */
  async function tampered(edit: (m: Record<string, string>) => void, tensor?: (data: Float32Array) => { shape: number[]; data: Float32Array }): Promise<Uint8Array> {
    const file = parseSafetensors(await modelBytes());
    const meta = { ...file.metadata };
    edit(meta);
    const t = file.tensors[0]!;
    const replaced = tensor ? { name: t.name, ...tensor(t.data) } : t;
    return encodeSafetensors([replaced], meta);
  }
  const drop = (key: string) => (m: Record<string, string>) => void delete m[key];
  const set = (key: string, value: string) => (m: Record<string, string>) => void (m[key] = value);

  it.each([
    ['not an SVC file', drop('format'), 'not an SVC model'],
    ['an unknown format version', set('format_version', '2'), 'format_version "2" is not supported'],
    ['no rho', drop('rho'), 'rho is missing'],
    ['rho not JSON', set('rho', '[1,'), 'rho is not valid JSON'],
    ['rho one short', (m: Record<string, string>) => void (m.rho = JSON.stringify((JSON.parse(m.rho!) as number[]).slice(1))), 'rho has 2 values'],
    ['a dual coefficient that is not a number', (m: Record<string, string>) => void (m.dual_coef = m.dual_coef!.replace(/^\[[^,]+/, '["x"')), 'dual_coef must be a list of finite numbers'],
    ['classes not ascending', set('classes', '[2,1,0]'), 'classes must list at least 2 distinct class values in ascending order'],
    ['a negative support index', (m: Record<string, string>) => void (m.support_indices = m.support_indices!.replace(/^\[\d+/, '[-1')), 'support_indices must be non-negative integers'],
    ['n_support that disagrees with the tensor', (m: Record<string, string>) => void (m.n_support = JSON.stringify((JSON.parse(m.n_support!) as number[]).map((v) => v + 1))), 'support_vectors has shape'],
    ['an unknown kernel', set('kernel', '{"kernel":"gauss","gamma":1,"coef0":0,"degree":3}'), 'kernel must be'],
    ['bad options', (m: Record<string, string>) => void (m.options = m.options!.replace('"C":1', '"C":-1')), 'options: C must be a finite number > 0'],
  ])('%s', async (_name, edit, message) => {
    await expectThrows(async () => SVC.load(await tampered(edit), null), ValueError, _name, ['SVC.load', message]);
  });

  it('a non-finite support vector entry', async () => {
    const bytes = await tampered(() => {}, (data) => {
      const copy = data.slice();
      copy[5] = Number.NaN;
      return { shape: [copy.length / 4, 4], data: copy };
    });
    await expectThrows(() => SVC.load(bytes, null), ValueError, 'NaN entry', ['support_vectors has a non-finite value (NaN) at entry 5']);
  });

  it('its options are checked as every options object (null was a TypeError, a misspelt key went unnoticed)', async () => {
    const bytes = await modelBytes();
    await expectThrows(() => SVC.load(bytes, null, null as never), ValueError, 'null', ['SVC.load options must be an object, got null']);
    await expectThrows(() => SVC.load(bytes, null, 'cpu' as never), ValueError, 'a string', ['SVC.load options must be an object']);
    await expectThrows(() => SVC.load(bytes, null, { logs: null } as never), ValueError, 'misspelt', ['unknown option "logs"', 'did you mean "log"?']);
    await expectThrows(() => SVC.fromSaved(null as never, null), ValueError, 'no decoded file', ['SVC.fromSaved: expected a decoded SVC file', 'null']);
    const lines: string[] = [];
    expect(SVC.load(bytes, null, { log: (l) => lines.push(l) }).classes).toEqual([0, 1, 2]);
  });
});
