// `sigmoid-core train` and `predict`, run as the built binary (dist/cli.js, made by `npm
// test`'s build step): end to end on UCI digits with --json on both backends (and the two
// agreeing), save → predict round trips (multiclass, binary with arbitrary label values,
// regression), and the error cases (one line, exit code, nothing written).
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, DIGITS, expectOneLineError, requireBuiltCli, ROOT, rowsOf } from './helpers/cli.js';
import { adam, createEngine, dense, encodeSafetensors, identity, parseSafetensors, sequential, sigmoid } from '../src/index.js';


interface Report {
  train: { loss: number; accuracy: number | null; rows: number };
  test: { loss: number; accuracy: number | null; rows: number } | null;
  epochs: number;
  seconds: number;
  samplesPerSecond: number;
  backend: string;
  adapter: { vendor: string } | null;
  task: string;
  classes: number[] | null;
  loss: string;
}

// A quick but real run: 10 epochs of a 64 → 32 sigmoid → 10 network on the standardized split.
const DIGITS_RUN = [
  'train', '--train', DIGITS, '--label', 'label', '--test-split', '0.25', '--standardize', '--hidden', '32',
  '--activation', 'sigmoid', '--optimizer', 'adam', '--lr', '0.005', '--epochs', '10', '--batch-size', '32', '--seed', '0', '--json',
];

let dir: string;
let digitsLines: string[];
const reports: Record<string, Report> = {};

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-train-'));
  digitsLines = (await readFile(DIGITS, 'utf8')).trim().split('\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sigmoid-core train on UCI digits', () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`--json --backend ${backend}: a 32-unit sigmoid MLP reaches ≥ 0.93 test accuracy in 10 epochs`, async () => {
      const r = await cli(...DIGITS_RUN, '--backend', backend);
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as Report; // stdout is the JSON object and nothing else
      reports[backend] = rep;
      expect(rep.backend).toBe(backend);
      expect(rep.adapter === null).toBe(backend === 'cpu');
      expect(rep.task).toBe('classification');
      expect(rep.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(rep.loss).toBe('softmaxCrossEntropy');
      expect(rep.epochs).toBe(10);
      expect(rep.train.rows + rep.test!.rows).toBe(1797);
      expect(rep.test!.rows).toBe(449);
      expect(rep.test!.accuracy).toBeGreaterThanOrEqual(0.93);
      expect(rep.train.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(rep.seconds).toBeGreaterThan(0);
      expect(rep.samplesPerSecond).toBeGreaterThan(0);
      // Progress: one line per epoch on a non-terminal stderr, then the final metrics.
      const epochLines = r.stderr.split('\n').filter((l) => /^epoch +\d+\/10 /.test(l));
      expect(epochLines.length).toBe(10);
      expect(epochLines[9]).toMatch(/loss \d\.\d{4} {2}acc \d\.\d{4} {2}test loss \d\.\d{4} {2}test acc \d\.\d{4} {2}[\d,]+ samples\/s/);
      expect(r.stderr).toMatch(/^test \(held out\): loss \d\.\d{4}, accuracy 0\.9\d{3} \(449 rows\)$/m);
      expect(r.stderr).not.toContain('\r');
    });
  }

  it('the CPU and WebGPU runs agree (same seeds, float32 tolerance)', () => {
    const c = reports.cpu;
    const g = reports.webgpu;
    if (!c || !g) throw new Error('a backend run failed above');
    expect(Math.abs(c.train.loss - g.train.loss)).toBeLessThan(1e-3 * Math.max(1, c.train.loss) + 2e-3);
    expect(Math.abs(c.test!.loss - g.test!.loss)).toBeLessThan(2e-3 + 1e-2 * c.test!.loss);
    expect(Math.abs(c.test!.accuracy! - g.test!.accuracy!)).toBeLessThanOrEqual(2 / 449 + 1e-9);
  });

  it('--quiet prints no progress; without --json stdout is empty', async () => {
    const r = await cli('train', '--train', DIGITS, '--label', 'label', '--epochs', '1', '--hidden', '8', '--backend', 'cpu', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/^epoch/m);
    expect(r.stderr).not.toMatch(/^read /m);
    expect(r.stderr).toMatch(/^train \(.*digits\.csv\): loss/m);
  });
});

describe('save → predict round trips', () => {
  it('multiclass: predictions are the labels, --proba rows sum to 1, the label column is ignored', async () => {
    const model = join(dir, 'digits.safetensors');
    const r = await cli(...DIGITS_RUN, '--backend', 'cpu', '--save', model);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    expect(r.stderr).toContain(`model saved to ${model}`);
    // Whole file (with its label column): accuracy = the rows-weighted train/test accuracy.
    const out = join(dir, 'preds.csv');
    const p = await cli('predict', '--model', model, '--data', DIGITS, '--out', out, '--backend', 'cpu');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/ignoring column 64 \(0-based\): "label", the label$/m);
    const preds = rowsOf(await readFile(out, 'utf8'));
    expect(preds[0]).toEqual(['label']);
    expect(preds.length).toBe(1798);
    const truth = digitsLines.slice(1).map((l) => l.slice(l.lastIndexOf(',') + 1));
    const correct = preds.slice(1).filter((row, i) => Number(row[0]) === Number(truth[i])).length;
    const expected = rep.train.accuracy! * rep.train.rows + rep.test!.accuracy! * rep.test!.rows;
    expect(Math.abs(correct - expected)).toBeLessThanOrEqual(1);

    // Features only (no label column), on WebGPU, with probabilities.
    const featuresOnly = join(dir, 'features.csv');
    await writeFile(featuresOnly, digitsLines.slice(0, 101).map((l) => l.slice(0, l.lastIndexOf(','))).join('\n'));
    const out2 = join(dir, 'proba.csv');
    const q = await cli('predict', '--model', model, '--data', featuresOnly, '--out', out2, '--proba', '--backend', 'webgpu');
    expect(q.code, q.stderr).toBe(0);
    const proba = rowsOf(await readFile(out2, 'utf8'));
    expect(proba[0]).toEqual(['label', ...Array.from({ length: 10 }, (_, k) => `p_${k}`)]);
    expect(proba.length).toBe(101);
    proba.slice(1).forEach((row, i) => {
      const ps = row.slice(1).map(Number);
      expect(Math.abs(ps.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-4);
      expect(Number(row[0])).toBe(ps.indexOf(Math.max(...ps)));
      expect(row[0]).toBe(preds[i + 1]![0]); // same labels as the CPU run on the same rows
    });

    // The same rows with the columns reversed (label first): matched by name, same predictions.
    const reversed = join(dir, 'reversed.csv');
    await writeFile(reversed, digitsLines.slice(0, 101).map((l) => l.split(',').reverse().join(',')).join('\n'));
    const out3 = join(dir, 'reversed-preds.csv');
    const rv = await cli('predict', '--model', model, '--data', reversed, '--out', out3, '--backend', 'cpu');
    expect(rv.code, rv.stderr).toBe(0);
    expect(rv.stderr).toMatch(/matched to the model's features by name/);
    expect(rowsOf(await readFile(out3, 'utf8')).slice(1).map((r) => r[0])).toEqual(preds.slice(1, 101).map((r) => r[0]));
    // Other column names: refused (by position they would give wrong predictions silently).
    const renamed = join(dir, 'renamed.csv');
    await writeFile(renamed, [digitsLines[0]!.replace('pixel_0_0', 'first'), ...digitsLines.slice(1, 11)].join('\n'));
    const rn = await cli('predict', '--model', model, '--data', renamed, '--out', join(dir, 'renamed-preds.csv'), '--backend', 'cpu');
    expect(rn.code).toBe(1);
    expectOneLineError(rn, /renamed\.csv's columns are not the model's features: no column named "pixel_0_0"/);
    expect(existsSync(join(dir, 'renamed-preds.csv'))).toBe(false);
  });

  it('binary labels 3/7 (bce, one output) come back as 3 and 7; regression values come back as numbers', async () => {
    // Binary: label 7 when x0 + x1 > 0, else 3, with the label in the FIRST column.
    const lines = ['y,x0,x1'];
    const reg = ['x,target'];
    for (let i = 0; i < 200; i++) {
      const a = Math.sin(i * 1.7) * 2;
      const b = Math.cos(i * 0.9) * 2;
      lines.push(`${a + b > 0 ? 7 : 3},${a.toFixed(4)},${b.toFixed(4)}`);
      const x = -1 + (2 * i) / 199;
      reg.push(`${x.toFixed(4)},${(2 * x + 1 + 0.05 * Math.sin(i * 12.9)).toFixed(5)}`);
    }
    await writeFile(join(dir, 'bin.csv'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'reg.csv'), `${reg.join('\n')}\n`);

    const bin = join(dir, 'bin.safetensors');
    const t = await cli('train', '--train', join(dir, 'bin.csv'), '--label', 'y', '--hidden', '8', '--lr', '0.05', '--epochs', '40', '--backend', 'cpu', '--save', bin, '--json', '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const rep = JSON.parse(t.stdout) as Report;
    expect(rep.loss).toBe('binaryCrossEntropy');
    expect(rep.classes).toEqual([3, 7]);
    expect(rep.test).toBeNull();
    expect(rep.train.accuracy).toBeGreaterThan(0.95);
    const out = join(dir, 'bin-preds.csv');
    const p = await cli('predict', '--model', bin, '--data', join(dir, 'bin.csv'), '--out', out, '--proba', '--backend', 'cpu');
    expect(p.code, p.stderr).toBe(0);
    const preds = rowsOf(await readFile(out, 'utf8'));
    expect(preds[0]).toEqual(['y', 'p_3', 'p_7']);
    const right = preds.slice(1).filter((row, i) => row[0] === lines[i + 1]!.split(',')[0]).length;
    expect(right / 200).toBeCloseTo(rep.train.accuracy!, 6);
    for (const row of preds.slice(1)) expect(['3', '7']).toContain(row[0]);

    const regModel = join(dir, 'reg.safetensors');
    const u = await cli('train', '--train', join(dir, 'reg.csv'), '--label', 'target', '--hidden', '16', '--lr', '0.01', '--epochs', '60', '--backend', 'cpu', '--save', regModel, '--json', '--quiet');
    expect(u.code, u.stderr).toBe(0);
    const rr = JSON.parse(u.stdout) as Report;
    expect(rr.task).toBe('regression');
    expect(rr.loss).toBe('mse');
    expect(rr.classes).toBeNull();
    expect(rr.train.accuracy).toBeNull();
    expect(rr.train.loss).toBeLessThan(0.02);
    const out3 = join(dir, 'reg-preds.csv');
    const v = await cli('predict', '--model', regModel, '--data', join(dir, 'reg.csv'), '--out', out3, '--backend', 'cpu', '--quiet');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr, 'predict --quiet').toBe(''); // it printed "200 values → …" regardless
    const vals = rowsOf(await readFile(out3, 'utf8'));
    expect(vals[0]).toEqual(['target']);
    vals.slice(1).forEach((row, i) => expect(Math.abs(Number(row[0]) - Number(reg[i + 1]!.split(',')[1]))).toBeLessThan(0.5));
    // Labels float32 cannot hold (above 2^24) stay distinct and come back exactly; a label
    // column left empty in the data to predict is ignored, not parsed.
    const ids = ['id,x0,x1'];
    for (let i = 0; i < 40; i++) ids.push(`${i % 2 === 0 ? 16777216 : 16777217},${i % 2},${(i % 5) / 5}`);
    await writeFile(join(dir, 'ids.csv'), `${ids.join('\n')}\n`);
    const idModel = join(dir, 'ids.safetensors');
    const ti = await cli('train', '--train', join(dir, 'ids.csv'), '--label', 'id', '--hidden', '4', '--lr', '0.05', '--epochs', '30', '--backend', 'cpu', '--save', idModel, '--json', '--quiet');
    expect(ti.code, ti.stderr).toBe(0);
    expect((JSON.parse(ti.stdout) as Report).classes).toEqual([16777216, 16777217]);
    await writeFile(join(dir, 'ids-new.csv'), 'id,x0,x1\n,0,0.2\n,1,0.4\n');
    const pi = await cli('predict', '--model', idModel, '--data', join(dir, 'ids-new.csv'), '--out', join(dir, 'ids-preds.csv'), '--backend', 'cpu', '--quiet');
    expect(pi.code, pi.stderr).toBe(0);
    expect(rowsOf(await readFile(join(dir, 'ids-preds.csv'), 'utf8')).slice(1).map((r) => r[0])).toEqual(['16777216', '16777217']);
    // With no header and "?" in the label column, every row is predicted, in order: line 1 was
    // taken for a header and dropped, each prediction then standing beside the row below.
    await writeFile(join(dir, 'ids-q.csv'), '?,0,0.2\n?,1,0.4\n?,1,0.4\n?,0,0.2\n');
    const pq = await cli('predict', '--model', idModel, '--data', join(dir, 'ids-q.csv'), '--out', join(dir, 'ids-q-preds.csv'), '--backend', 'cpu');
    expect(pq.code, pq.stderr).toBe(0);
    expect(pq.stderr).toMatch(/^predicted 4 rows on cpu$/m);
    expect(rowsOf(await readFile(join(dir, 'ids-q-preds.csv'), 'utf8')).slice(1).map((r) => r[0]))
      .toEqual(['16777216', '16777217', '16777217', '16777216']);

    // --proba is for classifiers.
    const w = await cli('predict', '--model', regModel, '--data', join(dir, 'reg.csv'), '--out', join(dir, 'x.csv'), '--proba');
    expect(w.code).toBe(2);
    expectOneLineError(w, /--proba needs a classifier/);
  });

  it('a library model with one output and binaryCrossEntropy: labels are p > ½ whether or not it ends with sigmoid() (with it, every row was class 1)', async () => {
    const engine = await createEngine({ backend: 'cpu' });
    try {
      const x = [[-2], [-1.5], [-1], [1], [1.5], [2]];
      const y = [0, 0, 0, 1, 1, 1];
      await writeFile(join(dir, 'lib-x.csv'), `x\n${x.map((r) => r[0]).join('\n')}\n`);
      for (const tail of [[sigmoid()], []]) {
        const m = sequential(engine, [dense(1, 4), sigmoid(), dense(4, 1), ...tail], { seed: 1 });
        m.compile({ loss: 'binaryCrossEntropy', optimizer: adam({ lr: 0.1 }) });
        await m.fit(x, y, { epochs: 150, batchSize: 6 });
        const p1 = await (await m.predictProba(x)).readAndDispose();
        expect(Array.from(p1, (p) => (p > 0.5 ? 1 : 0)), 'the model learnt the split').toEqual(y);
        const model = join(dir, `lib-${tail.length}.safetensors`);
        await writeFile(model, await m.save());
        m.dispose();
        for (const proba of [[], ['--proba']]) {
          const out = join(dir, `lib-${tail.length}-preds${proba.length}.csv`);
          const r = await cli('predict', '--model', model, '--data', join(dir, 'lib-x.csv'), '--out', out, ...proba, '--backend', 'cpu', '--quiet');
          expect(r.code, r.stderr).toBe(0);
          const rows = rowsOf(await readFile(out, 'utf8'));
          expect(rows[0], `${tail.length ? 'sigmoid' : 'dense'} end ${proba}`).toEqual(proba.length ? ['prediction', 'p_0', 'p_1'] : ['prediction']);
          expect(rows.slice(1).map((row) => Number(row[0])), `${tail.length ? 'sigmoid' : 'dense'} end ${proba}`).toEqual(y);
          if (proba.length) rows.slice(1).forEach((row, i) => expect(Number(row[2])).toBeCloseTo(p1[i]!, 6));
        }
      }
      // Outputs that are NaN (weights finite, an Inf − Inf inside) are refused, not labelled class 0.
      const nan = sequential(engine, [dense(1, 2), identity(), dense(2, 1)], { seed: 0 });
      const file = parseSafetensors(await nan.save());
      nan.dispose();
      const weights = file.tensors.map((t) => ({ ...t, data: new Float32Array(t.data.length).fill(0) }));
      weights.find((t) => t.shape.join() === '1,2')!.data.set([3e38, 3e38]);
      weights.find((t) => t.shape.join() === '2,1')!.data.set([1, -1]);
      const nanModel = join(dir, 'lib-nan.safetensors');
      await writeFile(nanModel, encodeSafetensors(weights, { ...file.metadata, loss: 'binaryCrossEntropy' }));
      const out = join(dir, 'lib-nan-preds.csv');
      const r = await cli('predict', '--model', nanModel, '--data', join(dir, 'lib-x.csv'), '--out', out, '--backend', 'cpu');
      expect(r.code).toBe(1);
      expectOneLineError(r, /: the prediction for row 0 \(0-based\) is NaN; nothing was written$/);
      expect(existsSync(out)).toBe(false);
    } finally {
      engine.destroy();
    }
  });
});

describe('train and predict errors', () => {
  const small = () => join(dir, 'small.csv');
  beforeAll(async () => {
    await writeFile(small(), digitsLines.slice(0, 121).join('\n'));
  });

  it('names an unknown label column and lists the columns', async () => {
    const r = await cli('train', '--train', small(), '--label', 'target', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /small\.csv: no label column named "target"; columns are "pixel_0_0", .*"label" \(65 in all\)/);
  });

  it('a label name that two columns share is refused; by index, --test and predict use the column where it was', async () => {
    // Column 1 "label" is the feature (the class is 1 when it is above 0.5), column 2 "label" the class.
    const rows = ['noise,label,label'];
    for (let i = 0; i < 40; i++) rows.push(`${(i * 7) % 3},${((i % 10) / 10).toFixed(1)},${i % 10 >= 6 ? 1 : 0}`);
    const dup = join(dir, 'dup-label.csv');
    await writeFile(dup, `${rows.join('\n')}\n`);
    const r = await cli('train', '--train', dup, '--label', 'label', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /label column "label" is ambiguous: it names columns 1, 2 \(0-based\)/);

    const model = join(dir, 'dup-label.safetensors');
    const t = await cli('train', '--train', dup, '--test', dup, '--label', '2', '--standardize', '--hidden', '8', '--lr', '0.05', '--epochs', '60',
      '--backend', 'cpu', '--save', model, '--json', '--quiet');
    expect(t.code, t.stderr).toBe(0);
    expect((JSON.parse(t.stdout) as Report).test!.accuracy).toBeGreaterThan(0.9);
    // New data with the class column left empty: that one is ignored, the feature "label" is used.
    await writeFile(join(dir, 'dup-new.csv'), 'noise,label,label\n0,0.1,\n2,0.9,\n');
    const out = join(dir, 'dup-preds.csv');
    const p = await cli('predict', '--model', model, '--data', join(dir, 'dup-new.csv'), '--out', out, '--backend', 'cpu');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/ignoring column 2 \(0-based\): "label", the label$/m);
    expect(rowsOf(await readFile(out, 'utf8')).slice(1).map((row) => row[0])).toEqual(['0', '1']);
    // The label's name twice, neither where it was at training: refused, naming the columns 0-based as --label takes them.
    await writeFile(join(dir, 'dup-moved.csv'), 'label,label,noise\n0.1,,0\n0.9,,2\n');
    const moved = await cli('predict', '--model', model, '--data', join(dir, 'dup-moved.csv'), '--out', join(dir, 'dup-moved-preds.csv'), '--backend', 'cpu');
    expect(moved.code).toBe(1);
    expectOneLineError(moved, /dup-moved\.csv columns 0, 1 \(0-based\) are all named "label", the label; the model cannot tell which to ignore/);
  });

  it('reports a non-numeric cell by line and column, and writes no model', async () => {
    const lines = digitsLines.slice(0, 121);
    const cells = lines[9]!.split(',');
    cells[4] = 'x7';
    lines[9] = cells.join(',');
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, lines.join('\n'));
    const model = join(dir, 'never.safetensors');
    const r = await cli('train', '--train', bad, '--label', 'label', '--backend', 'cpu', '--save', model);
    expect(r.code).toBe(1);
    expectOneLineError(r, /bad\.csv line 10, column 5: "x7" is not a number$/);
    expect(existsSync(model)).toBe(false);
  });

  it('names both widths when --test has other columns', async () => {
    const narrow = join(dir, 'narrow.csv');
    await writeFile(narrow, digitsLines.slice(0, 51).map((l) => l.split(',').slice(1).join(',')).join('\n'));
    const r = await cli('train', '--train', small(), '--test', narrow, '--label', 'label', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /narrow\.csv has 64 columns but .*small\.csv has 65/);
    // Same width, one column renamed: named by its 0-based index, as --label counts.
    const lines = digitsLines.slice(0, 51);
    const header = lines[0]!.split(',');
    header[1] = 'renamed';
    const renamed = join(dir, 'renamed.csv');
    await writeFile(renamed, [header.join(','), ...lines.slice(1)].join('\n'));
    const t = await cli('train', '--train', small(), '--test', renamed, '--label', 'label', '--backend', 'cpu');
    expect(t.code).toBe(1);
    expectOneLineError(t, /renamed\.csv column 1 \(0-based\) is named "renamed" but .*small\.csv column 1 is "pixel_0_1"/);
  });

  it.each([
    [['--hidden', '64,abc'], /--hidden must be layer widths in 1\.\.1048576 separated by commas \(e\.g\. 64 or 64,32\) or "none", got "64,abc"/],
    [['--hidden', '0,8'], /--hidden must be layer widths/],
    [['--hidden', '2000000'], /--hidden must be layer widths in 1\.\.1048576 .*got "2000000"/],
    [['--activation', 'gelu'], /--activation must be one of sigmoid, relu, leakyRelu, tanh, got "gelu"/],
    [['--test-split', '1.5'], /--test-split must be in \(0, 1\), got 1\.5/],
    [['--test-split', '0.2', '--test', 'x.csv'], /give --test or --test-split, not both/],
    [['--epochs', '0'], /--epochs must be an integer ≥ 1, got "0"/],
    [['--lr', '-1'], /--lr must be > 0/],
    [['--momentum', '0.9'], /--momentum applies to --optimizer sgd only/],
    [['--alpha', '2', '--activation', 'relu'], /--alpha applies to --activation sigmoid only/],
    [['--loss', 'hinge'], /--loss must be one of auto, mse, bce, softmax/],
  ])('rejects %j with exit code 2', async (flags, message) => {
    const model = join(dir, 'flags.safetensors');
    const r = await cli('train', '--train', small(), '--label', 'label', '--backend', 'cpu', '--save', model, ...(flags as string[]));
    expect(r.code).toBe(2);
    expectOneLineError(r, message as RegExp);
    expect(existsSync(model)).toBe(false);
  });

  it('whole-number labels that look like regression targets are refused by --task auto, naming why; --task regression or classification goes through', async () => {
    // 40 rows of one feature: y huge whole numbers (as 7.447587e+19 reads), y distinct ids 0..39, y 3 classes with one single row.
    const write = async (name: string, y: (i: number) => string) => {
      const rows = ['x,y'];
      for (let i = 0; i < 40; i++) rows.push(`${(i / 40).toFixed(3)},${y(i)}`);
      await writeFile(join(dir, name), `${rows.join('\n')}\n`);
      return join(dir, name);
    };
    const huge = await write('huge-y.csv', (i) => `${(1 + i / 10).toFixed(6)}e+19`);
    const ids = await write('ids-y.csv', (i) => String(i));
    const few = await write('few-single.csv', (i) => String(i === 39 ? 2 : i % 2));
    const run = (data: string, ...more: string[]) => cli('train', '--train', data, '--label', 'y', '--hidden', '2', '--epochs', '1', '--backend', 'cpu', '--json', '--quiet', ...more);

    const h = await run(huge);
    expect(h.code).toBe(1);
    expectOneLineError(h, /huge-y\.csv label column "y": line 2 is 10000000000000000000, beyond 2\^53 − 1 \(where whole numbers stop being exact\): .*pass --task regression \(or --task classification to insist on classes\)$/);
    const i = await run(ids);
    expect(i.code).toBe(1);
    expectOneLineError(i, /ids-y\.csv label column "y": 40 classes for 40 rows, 40 of them with a single row: these labels look like regression targets, not classes; pass --task regression/);
    const reg = await run(ids, '--task', 'regression');
    expect(reg.code, reg.stderr).toBe(0);
    expect((JSON.parse(reg.stdout) as Report).task).toBe('regression');
    for (const data of [huge, ids]) {
      const cls = await run(data, '--task', 'classification');
      expect(cls.code, cls.stderr).toBe(0);
      expect((JSON.parse(cls.stdout) as Report).classes).toHaveLength(40);
    }
    // One class of three with a single row is still a classification.
    const f = await run(few);
    expect(f.code, f.stderr).toBe(0);
    expect((JSON.parse(f.stdout) as Report).classes).toEqual([0, 1, 2]);
  });

  it('--loss bce with 10 classes is a usage error; a missing --save directory fails before training', async () => {
    const r = await cli('train', '--train', small(), '--label', 'label', '--loss', 'bce', '--backend', 'cpu');
    expect(r.code).toBe(2);
    expectOneLineError(r, /--loss bce needs exactly 2 classes, but the label column has \d+; use --loss softmax/);
    const s = await cli('train', '--train', small(), '--label', 'label', '--backend', 'cpu', '--save', join(dir, 'nope', 'm.safetensors'));
    expect(s.code).toBe(1);
    expectOneLineError(s, /cannot write .*m\.safetensors: its folder .*nope\/ does not exist/);
    expect(s.stderr).not.toMatch(/^epoch/m);
  });

  it('an output that is one of the inputs is refused up front (exit 2, both flags named) and the input is left as it was', async () => {
    const data = join(dir, 'own.csv');
    await writeFile(data, digitsLines.slice(0, 41).join('\n'));
    const model = join(dir, 'own.safetensors');
    const t = await cli('train', '--train', data, '--label', 'label', '--hidden', '4', '--epochs', '1', '--backend', 'cpu', '--save', model, '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const checkpoint = join(dir, 'own-run.safetensors');
    const c = await cli('train', '--train', data, '--label', 'label', '--hidden', '4', '--epochs', '1', '--backend', 'cpu', '--checkpoint', checkpoint, '--quiet');
    expect(c.code, c.stderr).toBe(0);
    const [dataBefore, modelBefore, checkpointBefore] = [await readFile(data), await readFile(model), await readFile(checkpoint)];
    const cases: [string[], RegExp][] = [
      [['predict', '--model', model, '--data', data, '--out', data], /--out .*own\.csv is the --data file .*own\.csv: writing it would overwrite the input/],
      [['predict', '--model', model, '--data', data, '--out', join(dir, '.', 'own.safetensors')], /--out .*own\.safetensors is the --model file/],
      [['train', '--train', data, '--label', 'label', '--save', data], /--save .*own\.csv is the --train file/],
      [['train', '--train', small(), '--test', data, '--label', 'label', '--save', data], /--save .*own\.csv is the --test file/],
      // The final model (no optimizer state) over the checkpoint being resumed: nothing left to resume.
      [['train', '--train', data, '--label', 'label', '--hidden', '4', '--epochs', '2', '--resume', checkpoint, '--save', checkpoint],
        /--save .*own-run\.safetensors is the --resume file .*own-run\.safetensors: writing it would overwrite the input/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args, '--backend', 'cpu');
      expect(r.code, r.stderr).toBe(2);
      expectOneLineError(r, message);
      expect(r.stderr).not.toMatch(/^(read|epoch|predicted)/m);
    }
    expect(await readFile(data)).toEqual(dataBefore);
    expect(await readFile(model)).toEqual(modelBefore);
    expect(await readFile(checkpoint)).toEqual(checkpointBefore);
  });

  it("train --save - and predict --out - are usage errors naming the flag ('-' is not standard output here)", async () => {
    const t = await cli('train', '--train', join(dir, 'never-read.csv'), '--label', 'label', '--backend', 'cpu', '--save', '-');
    expect(t.code).toBe(2);
    expectOneLineError(t, /--save - is not supported: outputs go to files .*give a file name/);
    const p = await cli('predict', '--model', join(dir, 'never-read.safetensors'), '--data', join(dir, 'never-read.csv'), '--out', '-');
    expect(p.code).toBe(2);
    expectOneLineError(p, /--out - is not supported: outputs go to files .*give a file name/);
    expect(existsSync(join(ROOT, '-'))).toBe(false);
  });

  it('a bad --backend is refused before the data is read (train and svm)', async () => {
    for (const command of ['train', 'svm']) {
      const r = await cli(command, '--train', join(dir, 'never-read.csv'), '--label', 'label', '--backend', 'gpu');
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expectOneLineError(r, /--backend must be one of auto, webgpu, cpu, got "gpu"/);
    }
  });

  it('values the library refuses (float32 range, seed range) are usage errors naming the flag, before the data is read (train and svm)', async () => {
    const cases: [string, string[], RegExp][] = [
      ['train', ['--lr', '1e-50'], /^sigmoid-core: --lr must be at least 1\.2e-38 \(float32's smallest normal number.*got 1e-50$/], // not "0 or": 0 is refused
      ['train', ['--lr', '1e39'], /^sigmoid-core: --lr must be within the float32 range \(\|x\| ≤ 3\.4e38\), got 1e\+39$/],
      // one range for every bad --seed (it used to say −2^52..2^52 for one and ≥ 0 for another)
      ['train', ['--seed', '9007199254740000'], /^sigmoid-core: --seed must be an integer in 0\.\.2\^52 \(4503599627370496\), got 9007199254740000$/],
      ['train', ['--seed', '4503599627370497'], /^sigmoid-core: --seed must be an integer in 0\.\.2\^52 \(4503599627370496\), got 4503599627370497$/],
      ['train', ['--seed', '-1'], /^sigmoid-core: --seed must be an integer in 0\.\.2\^52 \(4503599627370496\), got -1$/],
      ['train', ['--seed', '1.5'], /^sigmoid-core: --seed must be an integer in 0\.\.2\^52 \(4503599627370496\), got "1\.5"$/],
      ['train', ['--weight-decay', '1e39'], /^sigmoid-core: --weight-decay must be within the float32 range/],
      ['train', ['--optimizer', 'sgd', '--momentum', '1e-45'], /^sigmoid-core: --momentum must be 0 or at least 1\.2e-38/],
      ['train', ['--alpha', '1e39'], /^sigmoid-core: --alpha must be within the float32 range/],
      // Not "0 or": 0 is refused ('--alpha must not be 0'); a negative α is taken.
      ['train', ['--alpha', '-1e-40'], /^sigmoid-core: --alpha must be at least 1\.2e-38 in magnitude \(float32's smallest normal number.*got -1e-40$/],
      ['svm', ['--gamma', '1e39'], /^sigmoid-core: --gamma must be within the float32 range/],
      ['svm', ['--coef0', '1e-45'], /^sigmoid-core: --coef0 must be 0 or at least 1\.2e-38/],
      ['svm', ['--seed', '9007199254740000'], /^sigmoid-core: --seed must be an integer in 0\.\.2\^52 \(4503599627370496\), got 9007199254740000$/],
      ['svm', ['--seed', '-1'], /^sigmoid-core: --seed must be an integer in 0\.\.2\^52 \(4503599627370496\), got -1$/],
    ];
    for (const [command, flags, message] of cases) {
      const r = await cli(command, '--train', join(dir, 'never-read.csv'), '--label', 'label', '--backend', 'cpu', ...flags);
      expect(r.code, `${command} ${flags.join(' ')}: ${r.stderr}`).toBe(2);
      expectOneLineError(r, message);
    }
  });

  it('predict: a wrong width names both widths and writes nothing; a non-model file is refused', async () => {
    const model = join(dir, 'small.safetensors');
    const t = await cli('train', '--train', small(), '--label', 'label', '--hidden', '8', '--epochs', '2', '--backend', 'cpu', '--save', model, '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const narrow = join(dir, 'narrow63.csv');
    await writeFile(narrow, digitsLines.slice(1, 11).map((l) => l.split(',').slice(0, 63).join(',')).join('\n'));
    const out = join(dir, 'p-width.csv');
    const r = await cli('predict', '--model', model, '--data', narrow, '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /narrow63\.csv has 63 feature columns but the model .*small\.safetensors takes 64/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('p-width'))).toEqual([]);

    // A model file whose class list does not fit its outputs (edited by hand, say) is refused.
    const file = parseSafetensors(new Uint8Array(await readFile(model)));
    const info = JSON.parse(file.metadata.sigmoid_core_cli!) as { classes: number[] };
    info.classes = [0, 1];
    const edited = join(dir, 'edited.safetensors');
    await writeFile(edited, encodeSafetensors(file.tensors, { ...file.metadata, sigmoid_core_cli: JSON.stringify(info) }));
    const ed = await cli('predict', '--model', edited, '--data', small(), '--out', out, '--backend', 'cpu');
    expect(ed.code).toBe(1);
    expectOneLineError(ed, /edited\.safetensors lists 2 classes for a model with 10 outputs/);
    expect(existsSync(out)).toBe(false);

    const notModel = join(dir, 'not-a-model.safetensors');
    await writeFile(notModel, 'hello');
    const n = await cli('predict', '--model', notModel, '--data', narrow, '--out', out);
    expect(n.code).toBe(1);
    expectOneLineError(n, /not-a-model\.safetensors is not a model sigmoid-core can read: safetensors: the file is truncated/);
    // Tensors that do not fit the layer list (renamed by hand): refused, naming the file.
    const renamed = join(dir, 'renamed.safetensors');
    await writeFile(renamed, encodeSafetensors(file.tensors.map((t, i) => (i === 0 ? { ...t, name: 'w0' } : t)), file.metadata));
    const rn = await cli('predict', '--model', renamed, '--data', small(), '--out', out, '--backend', 'cpu');
    expect(rn.code).toBe(1);
    expectOneLineError(rn, /renamed\.safetensors is not a model sigmoid-core can read: .*unexpected w0/);
    expect(existsSync(out)).toBe(false);
    const missing = await cli('predict', '--model', join(dir, 'missing.safetensors'), '--data', narrow, '--out', out);
    expect(missing.code).toBe(1);
    expectOneLineError(missing, /cannot read .*missing\.safetensors: .*does not exist/);
  });

  it('predict: a header of numbered columns and the label ("0,…,63,label", pandas\' to_csv) is a header, not a row of data', async () => {
    const numbered = join(dir, 'numbered.csv');
    const header = [...Array.from({ length: 64 }, (_, i) => String(i)), 'label'].join(',');
    await writeFile(numbered, [header, ...digitsLines.slice(1, 61)].join('\n'));
    const model = join(dir, 'numbered.safetensors');
    const t = await cli('train', '--train', numbered, '--label', 'label', '--hidden', '8', '--epochs', '2', '--backend', 'cpu', '--save', model, '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const out = join(dir, 'p-numbered.csv');
    const r = await cli('predict', '--model', model, '--data', numbered, '--out', out, '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    // The header and 60 rows of labels (it read the header as a 61st row, and every label after it was a row off).
    expect(rowsOf(await readFile(out, 'utf8'))).toHaveLength(61);
    expect(r.stderr).toMatch(/ignoring column 64 \(0-based\): "label", the label$/m);
  });

  it('predict: a model with two features of one name cannot match columns by name (a column was dropped and one used twice)', async () => {
    const twice = join(dir, 'twice.csv');
    await writeFile(twice, 'a,a,b,y\n1,0,0,0\n0,1,5,1\n1,0,0.2,0\n0,1,4,1\n1,0,0.1,0\n0,1,6,1\n');
    const model = join(dir, 'twice.safetensors');
    const t = await cli('train', '--train', twice, '--label', 'y', '--epochs', '1', '--backend', 'cpu', '--save', model, '--quiet');
    expect(t.code, t.stderr).toBe(0);
    const renamed = join(dir, 'twice-data.csv');
    await writeFile(renamed, 'a,c,b\n1,0,0\n0,1,5\n');
    const out = join(dir, 'p-twice.csv');
    const r = await cli('predict', '--model', model, '--data', renamed, '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /the model has two features named "a", so names cannot place them/);
    expect(existsSync(out)).toBe(false);
  });

  it('a count of one is singular: 1 row, 1 feature, 1 epoch, 1 class label', async () => {
    const data = join(dir, 'tiny.csv');
    await writeFile(data, 'x,label\n0,0\n1,1\n');
    const one = join(dir, 'tiny-one.csv');
    await writeFile(one, 'x,label\n1,1\n');
    const model = join(dir, 'tiny.safetensors');
    const t = await cli('train', '--train', data, '--test', one, '--label', 'label', '--hidden', '2', '--epochs', '1', '--backend', 'cpu', '--save', model);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/^read .*tiny-one\.csv: 1 row × 2 columns \(with a header row\)$/m);
    expect(t.stderr).toMatch(/^classification: 2 rows × 1 feature, 2 classes/m);
    expect(t.stderr).toMatch(/^test \(.*tiny-one\.csv\): loss [\d.]+, accuracy [\d.]+ \(1 row\)$/m);
    expect(t.stderr).toMatch(/^1 epoch in /m);
    const p = await cli('predict', '--model', model, '--data', one, '--out', join(dir, 'tiny-preds.csv'), '--backend', 'cpu');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/^predicted 1 row on cpu$/m);
    expect(p.stderr).toMatch(/^1 class label → /m);
    expect(p.stderr).not.toMatch(/\b1 (rows|columns|features|epochs|class labels)\b/);
  });

  it('help lists train and predict', async () => {
    const help = await cli('--help');
    expect(help.stdout).toMatch(/^ {2}train +train a sigmoid/m);
    expect(help.stdout).toMatch(/^ {2}predict +predict with a model/m);
    const th = await cli('train', '--help');
    expect(th.code).toBe(0);
    expect(th.stdout).toMatch(/--test-split F/);
    // The split is stratified for a classification only; the help says what a regression gets.
    expect(th.stdout).toMatch(/--test-split F +.*seeded; stratified by class \(classification\) or random \(regression\)$/m);
  });
});

describe('train: regression targets past float32', () => {
  it('targets whose squared errors overflow a batch are refused before training, saying to rescale them (the advice was a lower --lr)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-bigy-'));
    try {
      // 40 rows, y = 1e19..4.9e19: Σ y² passes float32's 3.4e38 (y² alone does not).
      const rows = Array.from({ length: 40 }, (_, i) => `${(i / 40).toFixed(3)},${((1 + i / 10) * 1e19).toExponential(3)}`);
      await writeFile(join(dir, 'y.csv'), `a,y\n${rows.join('\n')}\n`);
      const r = await cli('train', '--train', join(dir, 'y.csv'), '--label', 'y', '--task', 'regression', '--backend', 'cpu');
      expect(r.code).toBe(1);
      expectOneLineError(r, /^sigmoid-core: the targets of --label y reach 4\.90e\+19: their squared errors add up past float32's 3\.4e38 from the first step; divide the column by a power of ten/);
      // A hundredth of them train, with finite losses: 1e17..4.9e17 (Σ y² ≈ 3.6e36).
      await writeFile(join(dir, 'y100.csv'), `a,y\n${rows.map((l) => l.replace(/e\+19$/, 'e+17')).join('\n')}\n`);
      const ok = await cli('train', '--train', join(dir, 'y100.csv'), '--label', 'y', '--task', 'regression', '--epochs', '1', '--backend', 'cpu', '--json', '--quiet');
      expect(ok.code, ok.stderr).toBe(0);
      const rep = JSON.parse(ok.stdout) as { train: { loss: number | null } };
      expect(Number.isFinite(rep.train.loss), `train loss ${rep.train.loss}`).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('train: --checkpoint and --resume', () => {
  it('a run stopped after 2 of 4 epochs and resumed ends with the very model of an uninterrupted run (CPU), byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-ckpt-'));
    try {
      const data = join(dir, 'd.csv');
      await writeFile(data, `${(await readFile(DIGITS, 'utf8')).split('\n').slice(0, 201).join('\n')}\n`);
      const base = ['train', '--train', data, '--label', 'label', '--hidden', '8', '--backend', 'cpu', '--quiet'];
      const ck = join(dir, 'run.safetensors');
      const first = await cli(...base, '--epochs', '2', '--checkpoint', ck);
      expect(first.code, first.stderr).toBe(0);
      const resumed = await cli(...base, '--epochs', '4', '--resume', ck, '--checkpoint', ck, '--save', join(dir, 'a.safetensors'));
      expect(resumed.code, resumed.stderr).toBe(0);
      const straight = await cli(...base, '--epochs', '4', '--save', join(dir, 'b.safetensors'));
      expect(straight.code, straight.stderr).toBe(0);
      expect(Buffer.compare(await readFile(join(dir, 'a.safetensors')), await readFile(join(dir, 'b.safetensors')))).toBe(0);
      // The checkpoint went on to epoch 4: resuming it for 4 epochs is refused, saying to ask for more.
      const again = await cli(...base, '--epochs', '4', '--resume', ck);
      expect(again.code).toBe(1);
      expectOneLineError(again, /the checkpoint has already completed 4 epochs; epochs counts the whole run, so ask for more than 4/);
      // Other data is refused by the checkpoint's CRC of the training rows, naming what differs.
      const other = join(dir, 'o.csv');
      await writeFile(other, `${(await readFile(DIGITS, 'utf8')).split('\n').filter((_, i) => i === 0 || i > 300).slice(0, 201).join('\n')}\n`);
      const wrong = await cli('train', '--train', other, '--label', 'label', '--hidden', '8', '--backend', 'cpu', '--epochs', '4', '--resume', ck);
      expect(wrong.code).toBe(1);
      expectOneLineError(wrong, /--resume .*run\.safetensors: the training .* are not those of the checkpoint's run \(the same 200 rows, other values\).* leave out --resume$/);
      // The refusals give their advice in flags (they said "leave seed out", which the CLI cannot:
      // it passes its default seed, and "call model.setLearningRate(…)").
      const seed = await cli(...base, '--epochs', '6', '--resume', ck, '--seed', '3');
      expect(seed.code).toBe(1);
      expectOneLineError(seed, /--resume .*run\.safetensors: the checkpoint's run used --seed 0, this run asks for 3 \(pass --seed 0 to continue the run\)$/);
      const lr = await cli(...base, '--epochs', '6', '--resume', ck, '--lr', '0.5');
      expect(lr.code).toBe(1);
      expectOneLineError(lr, /only the rate differs: pass --lr 0\.001\)$/);
      const model = join(dir, 'a.safetensors');
      const notCk = await cli(...base, '--epochs', '6', '--resume', model);
      expect(notCk.code).toBe(1);
      expectOneLineError(notCk, /--resume .*a\.safetensors: not a sigmoid-core checkpoint .*; it is a model \(train --save\), not a checkpoint \(train --checkpoint\)$/);
      // predict refuses the checkpoint: it has none of train's preprocessing (it wrote class indices, unstandardised).
      const p = await cli('predict', '--model', ck, '--data', data, '--out', join(dir, 'p.csv'), '--backend', 'cpu');
      expect(p.code).toBe(1);
      expectOneLineError(p, /run\.safetensors is a training checkpoint \(train --checkpoint\), which holds no standardisation, class values or feature names/);
      expect(existsSync(join(dir, 'p.csv'))).toBe(false);
      // Usage: --checkpoint-every alone; --save over the checkpoint.
      const alone = await cli(...base, '--checkpoint-every', '2');
      expect(alone.code).toBe(2);
      expectOneLineError(alone, /--checkpoint-every applies with --checkpoint only/);
      const same = await cli(...base, '--checkpoint', ck, '--save', ck);
      expect(same.code).toBe(2);
      expectOneLineError(same, /--save and --checkpoint name the same file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
