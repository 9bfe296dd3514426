// End to end on a real data set: data/digits.csv (1,797 8×8 digits, 10 classes), a seeded
// stratified 75/25 split, standardisation fitted on the training part, and a 64-64-10
// sigmoid MLP trained with Adam and softmax cross-entropy. Held-out accuracy ≥ 0.97 on the
// CPU and on WebGPU; both backends train from the same weights on the same shuffles.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { useEngines } from '../helpers/engines.js';
import { type Engine, type EvaluateResult } from '../../src/index.js';
import { dropColumn, standardize, stratifiedSplit, takeRows, takeValues } from '../../src/data/index.js';
import { readCsv } from '../../src/io/csv.js';
import { adam, dense, sequential, sigmoid } from '../../src/nn/index.js';

const csv = readCsv(readFileSync(new URL('../../data/digits.csv', import.meta.url), 'utf8'), { source: 'digits.csv' });
const labelCol = csv.header!.indexOf('label');
const pixels = dropColumn(csv, labelCol);
const labels = Array.from({ length: csv.rows }, (_, r) => csv.data[r * csv.cols + labelCol]!);
const split = stratifiedSplit(labels, { testFraction: 0.25, seed: 0 });
const { train: xTrain, others } = standardize(takeRows(pixels, split.train), takeRows(pixels, split.test));
const xTest = others[0]!;
const yTrain = takeValues(labels, split.train);
const yTest = takeValues(labels, split.test);

const EPOCHS = 30;
const results: Record<string, { test: EvaluateResult; seconds: number; samplesPerSecond: number }> = {};

async function trainDigits(e: Engine): Promise<void> {
  const m = sequential(e, [dense(64, 64), sigmoid(), dense(64, 10)], { seed: 0 });
  try {
    m.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: 0.003 }), metrics: ['accuracy'] });
    const t0 = performance.now();
    const h = await m.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize: 32, seed: 1 });
    const seconds = (performance.now() - t0) / 1000;
    const test = await m.evaluate(xTest, yTest);
    results[e.backend] = { test, seconds, samplesPerSecond: h.epochs.at(-1)!.samplesPerSecond };
    expect(h.loss.at(-1)!).toBeLessThan(h.loss[0]!);
    expect(h.accuracy!.at(-1)!).toBeGreaterThan(0.99);
  } finally {
    m.dispose();
  }
}

const engines = useEngines();
afterAll(() => {
  for (const [backend, r] of Object.entries(results)) {
    console.log(
      `digits ${backend}: test accuracy ${r.test.accuracy!.toFixed(4)} (${r.test.samples} rows), test loss ${r.test.loss.toFixed(4)}, ` +
        `${EPOCHS} epochs in ${r.seconds.toFixed(2)} s (${Math.round(r.samplesPerSecond)} samples/s in the last epoch)`,
    );
  }
});

describe('digits (64-64-10 sigmoid MLP, Adam, softmax cross-entropy)', () => {
  it('the split is stratified 75/25 and standardised', () => {
    expect(split.train.length + split.test.length).toBe(1797);
    expect(split.test.length).toBe(449);
    expect(xTrain.cols).toBe(64);
  });

  it(`CPU: held-out accuracy ≥ 0.97 after ${EPOCHS} epochs`, async () => {
    await trainDigits(engines.cpu);
    expect(results.cpu!.test.accuracy!).toBeGreaterThanOrEqual(0.97);
  });

  it(`WebGPU: held-out accuracy ≥ 0.97 after ${EPOCHS} epochs, within 0.5 % of the CPU's`, async () => {
    await trainDigits(engines.gpu);
    expect(results.webgpu!.test.accuracy!).toBeGreaterThanOrEqual(0.97);
    if (results.cpu) expect(Math.abs(results.webgpu!.test.accuracy! - results.cpu.test.accuracy!)).toBeLessThanOrEqual(0.005);
  });
});
