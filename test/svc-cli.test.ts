// `sigmoid-core svm`, run as the built binary (dist/cli.js, made by `npm test`'s build step):
// the digits split with --json on the CPU and on WebGPU (the two agreeing), progress lines
// on stderr, --save → predict round trips, and usage errors (one line, exit code 2).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, DIGITS, expectOneLineError, requireBuiltCli, rowsOf } from './helpers/cli.js';
import { encodeSafetensors, parseSafetensors } from '../src/index.js';



interface SvmReport {
  train: { accuracy: number; rows: number };
  test: { accuracy: number; rows: number } | null;
  supportVectors: { total: number; perClass: number[] };
  classes: number[];
  seconds: number;
  iterations: number;
  converged: boolean;
  kernelRows: { computed: number; batches: number; cacheHits: number };
  provider: string;
  backend: string | null;
  adapter: { vendor: string } | null;
  model: string | null;
  parameters: { kernel: string; C: number; gamma: number; gammaSpec: string | number; coef0: number; degree: number; tol: number; shrinking: boolean; standardize: boolean };
}

const RUN = ['svm', '--train', DIGITS, '--label', 'label', '--test-split', '0.25', '--standardize', '--seed', '0', '--json'];

beforeAll(() => {
  requireBuiltCli();
});

describe('sigmoid-core svm on UCI digits', () => {
  const reports: Record<string, SvmReport> = {};
  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`--kernel rbf --json --backend ${backend}: test accuracy ≥ 0.97, γ resolved, per-class support vectors`, async () => {
      const r = await cli(...RUN, '--kernel', 'rbf', '--gamma', 'scale', '--C', '1', '--backend', backend);
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as SvmReport;
      reports[backend] = rep;
      expect(rep.backend).toBe(backend);
      expect(rep.adapter === null).toBe(backend === 'cpu');
      expect(rep.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(rep.train.rows + rep.test!.rows).toBe(1797);
      expect(rep.test!.accuracy).toBeGreaterThanOrEqual(0.97);
      expect(rep.train.accuracy).toBeGreaterThanOrEqual(0.99);
      expect(rep.supportVectors.perClass.length).toBe(10);
      expect(rep.supportVectors.perClass.reduce((s, v) => s + v)).toBe(rep.supportVectors.total);
      expect(rep.parameters).toMatchObject({ kernel: 'rbf', C: 1, gammaSpec: 'scale', tol: 0.001, shrinking: true, standardize: true });
      expect(rep.parameters.gamma).toBeCloseTo(0.0163934, 6); // scikit-learn's 'scale' on this split
      expect(rep.converged).toBe(true);
      expect(rep.seconds).toBeGreaterThan(0);
      const pairs = r.stderr.split('\n').filter((l) => /^pair +\d+\/45 \(\d vs \d\): \d+ points, \d+ iterations, \d+ support vectors, [\d.]+ s$/.test(l));
      expect(pairs.length).toBe(45);
      expect(r.stderr).toMatch(/^test \(held out\): accuracy 0\.9\d{3} \(449 rows\)$/m);
    });
  }

  it('the CPU and WebGPU runs agree', () => {
    const [c, g] = [reports.cpu!, reports.webgpu!];
    expect(c && g, 'both backend runs must have passed').toBeTruthy();
    expect(Math.abs(c.test!.accuracy - g.test!.accuracy)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(c.supportVectors.total - g.supportVectors.total)).toBeLessThanOrEqual(5);
  });

  it('--kernel sigmoid with tuned γ and c₀ (--quiet: only the summary on stderr)', async () => {
    const r = await cli(...RUN, '--kernel', 'sigmoid', '--gamma', '0.005', '--coef0', '-1', '--C', '100', '--backend', 'cpu', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as SvmReport;
    expect(rep.parameters).toMatchObject({ kernel: 'sigmoid', C: 100, gamma: 0.005, coef0: -1 });
    expect(rep.test!.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(r.stderr).not.toMatch(/^pair /m);
  });

  it('--provider float64: kernel rows on the host, no engine, the same model as the engine run; --backend with it is refused', async () => {
    const args = [...RUN, '--kernel', 'rbf', '--gamma', 'scale', '--C', '1'];
    const f64 = await cli(...args, '--provider', 'float64', '--quiet');
    expect(f64.code, f64.stderr).toBe(0);
    const rep = JSON.parse(f64.stdout) as SvmReport;
    expect([rep.provider, rep.backend, rep.adapter]).toEqual(['float64', null, null]);
    expect(f64.stderr).toMatch(/kernel rows in float64 on the host/);
    expect(rep.test!.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(Math.abs(rep.supportVectors.total - reports.cpu!.supportVectors.total)).toBeLessThanOrEqual(5);
    const both = await cli(...args, '--provider', 'float64', '--backend', 'cpu');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--backend applies to --provider engine only/);
  });

  it('--no-shrinking reaches the solver (libsvm -h 0): shrinking false in --json, no gradient rebuilds', async () => {
    // At --tol 1e-3 every pair here converges in fewer than l iterations, before the first
    // shrink (every min(l, 1000)): the runs are the same. At 1e-5 pairs shrink, and the
    // rebuilds of the shrunk gradient fetch (cached) rows: kernelRows.cacheHits shows them.
    const args = [...RUN, '--kernel', 'rbf', '--gamma', 'scale', '--C', '1', '--tol', '1e-5', '--backend', 'cpu', '--quiet'];
    const runs: SvmReport[] = [];
    for (const flag of [[], ['--no-shrinking']]) {
      const r = await cli(...args, ...flag);
      expect(r.code, r.stderr).toBe(0);
      runs.push(JSON.parse(r.stdout) as SvmReport);
    }
    const [on, off] = runs as [SvmReport, SvmReport];
    expect([on.parameters.shrinking, off.parameters.shrinking]).toEqual([true, false]);
    expect(on.converged && off.converged).toBe(true);
    expect(off.kernelRows.cacheHits).toBeLessThan(on.kernelRows.cacheHits);
    // The same stopping rule, not the same model (its KKT conditions: test/svc-shrinking; the
    // CLI prints no model): each reaches the stated accuracy.
    for (const rep of runs) expect(rep.test!.accuracy).toBeGreaterThanOrEqual(0.97);
    const bad = await cli(...RUN, '--no-shrinking=1', '--backend', 'cpu');
    expect(bad.code).toBe(2);
    expectOneLineError(bad, /--no-shrinking is a switch and takes no value$/);
  });

  it("a float32 refusal's advice is in the command's flags: --provider float64 (and --backend cpu), --gamma, --degree, --standardize", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-svm-'));
    try {
      const file = async (name: string, rows: string[]): Promise<string> => {
        await writeFile(join(dir, name), `${rows.join('\n')}\n`);
        return join(dir, name);
      };
      // γ 'scale' past float32 (Var(X) ≈ 1e-42), and a linear K = 1.8e39.
      const tiny = await file('tiny.csv', ['x,label', '1e-21,0', '2e-21,1', '3e-21,0', '4e-21,1']);
      const huge = await file('huge.csv', ['a,b,label', '3e19,3e19,0', '-3e19,3e19,1', '3e19,-3e19,0', '1e19,1e19,1']);
      // ⟨x, y⟩ up to 3.6e38: past float32 in WebGPU's sums; the CPU backend adds in float64.
      const sums = await file('sums.csv', ['a,b,label', '1.9e19,-1e18,0', '-1.9e19,1e18,1', '1e18,1.9e19,0', '-1e18,-1.9e19,1']);
      // ⟨x, y⟩ up to 2e14: (⟨x, y⟩ + 0)³ = 8e42 passes float32, not float64.
      const poly = await file('poly.csv', ['a,b,label', '1e7,1e7,0', '-1e7,1e7,1', '1e7,-1e7,0', '5e6,5e6,1']);
      const runs: [string[], RegExp][] = [
        [['--train', tiny, '--backend', 'cpu'], /: SVC\.fit: --gamma scale resolved to .*; use --standardize \(or scale it up\), or use --provider float64$/],
        [['--train', huge, '--kernel', 'linear', '--backend', 'cpu'], /scale the data down \(--standardize\), or use --provider float64 \(kernel rows in float64 on the host\)$/],
        [['--train', sums, '--kernel', 'sigmoid', '--gamma', '1', '--backend', 'webgpu'], /; use --standardize \(or scale it down\), or use --provider float64 \(or --backend cpu, which sums in float64\)$/],
        [
          ['--train', poly, '--kernel', 'polynomial', '--gamma', '1', '--backend', 'cpu'],
          /the polynomial kernel overflows float32 here; choose a smaller --gamma or --degree, or scale the data down \(--standardize\), or use --provider float64 \(kernel rows in float64 on the host\)$/,
        ],
      ];
      for (const [args, message] of runs) {
        const r = await cli('svm', ...args, '--label', 'label');
        expect(r.code, r.stderr).toBe(1);
        expectOneLineError(r, message);
        expect(r.stderr).not.toMatch(/provider 'float64'|a CPU engine|gamma 'scale'|smaller gamma|standardize X/);
        const f64 = await cli('svm', ...args.slice(0, args.indexOf('--backend')), '--label', 'label', '--provider', 'float64', '--quiet');
        expect(f64.code, f64.stderr).toBe(0); // the advice works
      }
      // Data already standardized: no --standardize advice.
      const r = await cli('svm', '--train', poly, '--label', 'label', '--kernel', 'polynomial', '--gamma', '1e15', '--standardize', '--backend', 'cpu');
      expect(r.code, r.stderr).toBe(1);
      expectOneLineError(r, /choose a smaller --gamma or --degree, or scale the data down, or use --provider float64 \(kernel rows in float64 on the host\)$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--quiet also silences the maxIter warnings (one per class pair); without it they show', async () => {
    const args = [...RUN, '--kernel', 'linear', '--max-iter', '3', '--backend', 'cpu'];
    const loud = await cli(...args);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/stopped at maxIter = 3/);
    // In the command's flags (the data is already --standardize'd, so that is not offered).
    expect(loud.stderr).toMatch(/the model may be inaccurate \(lower --C or raise --max-iter\)$/m);
    const plain = await cli(...args.filter((a) => a !== '--standardize'));
    expect(plain.stderr).toMatch(/the model may be inaccurate \(use --standardize, lower --C, or raise --max-iter\)$/m);
    const quiet = await cli(...args, '--quiet');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/maxIter/);
  });

  it('a --gamma, --coef0 or --degree the kernel does not use draws a note, as in gram (none under --quiet)', async () => {
    const args = [...RUN, '--max-iter', '3', '--backend', 'cpu', '--gamma', '0.01', '--coef0', '1'];
    const linear = await cli(...args, '--kernel', 'linear', '--degree', '2');
    expect(linear.code, linear.stderr).toBe(0);
    expect(linear.stderr).toMatch(/^note: --gamma is not used by the linear kernel$/m);
    expect(linear.stderr).toMatch(/^note: --coef0 is not used by the linear kernel$/m);
    expect(linear.stderr).toMatch(/^note: --degree is not used by the linear kernel$/m);
    const rbf = await cli(...args, '--kernel', 'rbf');
    expect(rbf.code, rbf.stderr).toBe(0);
    expect(rbf.stderr.match(/^note: .*$/gm)).toEqual(['note: --coef0 is not used by the rbf kernel']);
    const quiet = await cli(...args, '--kernel', 'linear', '--quiet');
    expect(quiet.stderr).not.toMatch(/^note:/m);
  });

  it('--save → predict: the labels of every row, the svm run\'s accuracy; float64 models predict on the host; --proba refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-svm-save-'));
    try {
      const truth = (await readFile(DIGITS, 'utf8')).trim().split('\n').slice(1).map((l) => Number(l.slice(l.lastIndexOf(',') + 1)));
      for (const provider of ['engine', 'float64'] as const) {
        const model = join(dir, `${provider}.safetensors`);
        const backend = provider === 'engine' ? ['--backend', 'cpu'] : ['--provider', 'float64'];
        const r = await cli(...RUN, '--kernel', 'sigmoid', '--gamma', '0.005', '--coef0', '-1', '--C', '100', ...backend, '--quiet', '--save', model);
        expect(r.code, r.stderr).toBe(0);
        const rep = JSON.parse(r.stdout) as SvmReport;
        expect(rep.model).toBe(model);
        expect(r.stderr).toContain(`; model saved to ${model}`);
        // The whole file, its label column ignored: correct rows = the svm run's train and test hits.
        const out = join(dir, `${provider}-preds.csv`);
        const p = await cli('predict', '--model', model, '--data', DIGITS, '--out', out, '--backend', provider === 'engine' ? 'webgpu' : 'cpu');
        expect(p.code, p.stderr).toBe(0);
        expect(p.stderr).toMatch(/ignoring column 64 \(0-based\): "label", the label$/m);
        if (provider === 'engine') expect(p.stderr).toMatch(/^predicted 1797 rows on webgpu \(/m);
        else {
          expect(p.stderr).toMatch(/--backend is not used$/m);
          expect(p.stderr).toMatch(/^predicted 1797 rows in float64 on the host$/m);
        }
        const preds = rowsOf(await readFile(out, 'utf8'));
        expect(preds[0]).toEqual(['label']);
        expect(preds.length).toBe(1798);
        const correct = preds.slice(1).filter((row, i) => Number(row[0]) === truth[i]).length;
        const expected = rep.train.accuracy * rep.train.rows + rep.test!.accuracy * rep.test!.rows;
        // WebGPU's float32 kernel may flip a row whose decision value is ~0 on the CPU.
        expect(Math.abs(correct - expected), provider).toBeLessThanOrEqual(provider === 'engine' ? 2 : 0);
      }
      const proba = await cli('predict', '--model', join(dir, 'float64.safetensors'), '--data', DIGITS, '--out', join(dir, 'p.csv'), '--proba');
      expect(proba.code).toBe(2);
      expectOneLineError(proba, /--proba: .*float64\.safetensors is a support-vector classifier, which gives class labels but no probabilities$/);
      expect(existsSync(join(dir, 'p.csv'))).toBe(false);
      // A class list that is not the model's, and a model file missing a field, are refused.
      const file = parseSafetensors(new Uint8Array(await readFile(join(dir, 'float64.safetensors'))));
      const info = JSON.parse(file.metadata.sigmoid_core_cli!) as { classes: number[] };
      info.classes = info.classes.map((c) => c + 1);
      const edited = join(dir, 'edited.safetensors');
      await writeFile(edited, encodeSafetensors(file.tensors, { ...file.metadata, sigmoid_core_cli: JSON.stringify(info) }));
      const ed = await cli('predict', '--model', edited, '--data', DIGITS, '--out', join(dir, 'e.csv'));
      expect(ed.code).toBe(1);
      expectOneLineError(ed, /edited\.safetensors lists classes 1, 2, .*, 10 for a model with classes 0, 1, .*, 9; the file is inconsistent$/);
      const { rho: _rho, ...noRho } = file.metadata;
      await writeFile(edited, encodeSafetensors(file.tensors, noRho));
      const nr = await cli('predict', '--model', edited, '--data', DIGITS, '--out', join(dir, 'e.csv'));
      expect(nr.code).toBe(1);
      expectOneLineError(nr, /edited\.safetensors is not a model sigmoid-core can read: SVC\.load: __metadata__\.rho is missing$/);
      expect(existsSync(join(dir, 'e.csv'))).toBe(false);
      // --save onto the training data is refused before any work.
      const onto = await cli(...RUN, '--backend', 'cpu', '--save', DIGITS);
      expect(onto.code).toBe(2);
      expectOneLineError(onto, /--save .* is the --train file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--C', '-1'], 2, /--C must be > 0, got -1/],
    [['--gamma', '0'], 2, /--gamma must be scale, auto or a number > 0/],
    [['--gamma', 'Scale'], 2, /--gamma must be scale, auto or a number > 0, got "Scale"/],
    // It said "0 or at least 1.2e-38", and 0 is refused.
    [['--gamma', '1e-39'], 2, /: --gamma must be at least 1\.2e-38 \(float32's smallest normal number; a GPU may round less to 0\), got 1e-39$/],
    [['--kernel', 'gauss'], 2, /--kernel must be one of rbf, sigmoid, linear, polynomial, poly, got "gauss"/],
    [['--degree', '0'], 2, /: --degree must be an integer in 1\.\.4294967295, got 0$/],
    [['--kernel', 'poly', '--degree', '5000000000'], 2, /: --degree must be an integer in 1\.\.4294967295, got 5000000000$/],
    [['--degree', 'three'], 2, /: --degree must be an integer in 1\.\.4294967295, got "three"$/],
    [['--test', 'x.csv'], 2, /give --test or --test-split, not both/],
    [['--label', 'nope'], 1, /no label column named "nope"/],
  ])('rejects %j with exit code %i and one line', async (flags, code, message) => {
    const f = flags as string[];
    const label = f.includes('--label') ? [] : ['--label', 'label'];
    const r = await cli('svm', '--train', DIGITS, ...label, '--test-split', '0.25', '--backend', 'cpu', ...f);
    expect(r.code).toBe(code);
    const lines = r.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^sigmoid-core: /);
    expect(lines[lines.length - 1]).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/^pair /m);
  });

  it('a count of one is singular: 1 feature, 1 one-vs-one problem, 1 batch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-svm-'));
    try {
      const data = join(dir, 'two.csv');
      await writeFile(data, 'x,label\n1,0\n2,1\n');
      const r = await cli('svm', '--train', data, '--label', 'label', '--kernel', 'linear', '--backend', 'cpu');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^classification: 2 rows × 1 feature, 2 classes \(0, 1\); 1 one-vs-one problem$/m);
      expect(r.stderr).toMatch(/^pair 1\/1 \(0 vs 1\): 2 points, \d+ iterations?, 2 support vectors, /m);
      expect(r.stderr).toMatch(/kernel rows in 1 batch\)/);
      expect(r.stderr).not.toMatch(/\b1 (rows|columns|features|one-vs-one problems|iterations|batches)\b/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('labels that look like regression targets (most classes a single row, or beyond 2^53) are refused before any pair is trained', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-svm-'));
    try {
      for (const [y, message] of [
        [(i: number) => String(i), /ids\.csv label column "y": 40 classes for 40 rows, 40 of them with a single row: .*svm is a classifier only \(it would train 780 one-vs-one problems\): fit such targets with train --task regression$/],
        [(i: number) => `${i % 2 + 1}e+19`, /ids\.csv label column "y": line 2 is 10000000000000000000, beyond 2\^53 .*svm is a classifier only \(it would train 1 one-vs-one problem\)/],
      ] as const) {
        const data = join(dir, 'ids.csv');
        await writeFile(data, `x,y\n${Array.from({ length: 40 }, (_, i) => `${i / 40},${y(i)}`).join('\n')}\n`);
        const r = await cli('svm', '--train', data, '--label', 'y', '--backend', 'cpu');
        expect(r.code).toBe(1);
        expectOneLineError(r, message);
        expect(r.stderr).not.toMatch(/^pair /m);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('labels beyond int32 stay distinct classes (4294967296 is not 0)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-svm-'));
    try {
      const data = join(dir, 'wide.csv');
      await writeFile(data, `x,y\n${Array.from({ length: 40 }, (_, i) => `${i / 40},${i < 20 ? 0 : 4294967296}`).join('\n')}\n`);
      const r = await cli('svm', '--train', data, '--label', 'y', '--kernel', 'linear', '--backend', 'cpu', '--json', '--quiet');
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as SvmReport;
      expect(rep.classes).toEqual([0, 4294967296]);
      expect(rep.supportVectors.perClass).toHaveLength(2);
      expect(rep.train.accuracy).toBeGreaterThan(0.9);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('help lists svm and its options', async () => {
    const help = await cli('--help');
    expect(help.stdout).toMatch(/^ {2}svm +train a support-vector classifier/m);
    const h = await cli('svm', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--kernel K/);
    expect(h.stdout).toMatch(/--C C/);
  });
});
