// Regression with a sigmoid network: fit y = 2x + 1 + noise (100 seeded points) with
// gradient descent on the MSE, and compare the same network with sigmoid, ReLU, leaky
// ReLU and tanh hidden units by final MSE. Beside each: the error against the noise-free
// line on a grid (how well the function itself was learned), and the least-squares line
// as the reference a perfect fit reaches (the noise cannot be fitted away).
//
//   npm run example:regression -- [--backend auto|webgpu|cpu] [--epochs N]

import {
  adam, dense, type Engine, type LayerSpec, leakyRelu, relu, seededRandom, sequential, sigmoid, tanh,
} from '../../src/index.js';
import { exampleArgs, fixed, intOption, openEngine, table } from '../shared/util.js';

const N = 100;
const NOISE = 0.2;
const HIDDEN = 16;

/** 100 points x ∈ [−1, 1), y = 2x + 1 + N(0, NOISE²), seed 0. */
function makeData(): { x: number[]; y: number[] } {
  const random = seededRandom(0);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < N; i++) {
    const xi = 2 * random.next() - 1;
    const u = 1 - random.next();
    const v = random.next();
    const noise = NOISE * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    x.push(xi);
    y.push(2 * xi + 1 + noise);
  }
  return { x, y };
}

/** Least-squares line through the points: slope, intercept and its MSE. */
function leastSquares(x: number[], y: number[]): { slope: number; intercept: number; mse: number } {
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
  });
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const mse = x.reduce((s, xi, i) => s + (slope * xi + intercept - y[i]!) ** 2, 0) / x.length;
  return { slope, intercept, mse };
}

interface Result {
  name: string;
  mse: number;
  lineMse: number;
  slope: number;
  intercept: number;
  seconds: number;
  curve: number[];
}

async function fitOne(engine: Engine, name: string, act: LayerSpec, init: 'glorot' | 'he', epochs: number, data: { x: number[]; y: number[] }): Promise<Result> {
  const model = sequential(engine, [dense(1, HIDDEN, { init }), act, dense(HIDDEN, 1)], { seed: 0 });
  try {
    model.compile({ loss: 'mse', optimizer: adam({ lr: 0.01 }) });
    const t0 = performance.now();
    const history = await model.fit(data.x.map((v) => [v]), data.y, { epochs, batchSize: 20, seed: 0 });
    const seconds = (performance.now() - t0) / 1000;
    const final = await model.evaluate(data.x.map((v) => [v]), data.y);
    // The learned function on a grid of 101 points in [−1, 1], against y = 2x + 1.
    const grid = Array.from({ length: 101 }, (_, i) => -1 + i / 50);
    const out = await model.predict(grid.map((v) => [v]));
    const pred = Array.from(await out.read());
    out.dispose();
    const lineMse = pred.reduce((s, p, i) => s + (p - (2 * grid[i]! + 1)) ** 2, 0) / grid.length;
    const fitLine = leastSquares(grid, pred);
    const curve = marks(epochs).map((e) => history.loss[e - 1]!);
    return { name, mse: final.loss, lineMse, slope: fitLine.slope, intercept: fitLine.intercept, seconds, curve };
  } finally {
    model.dispose();
  }
}

/** Epochs at which the loss curve is shown. */
function marks(epochs: number): number[] {
  return [...new Set([1, 5, 10, 20, 50, 100, 200, 500, 1000, epochs].filter((e) => e <= epochs))].sort((a, b) => a - b);
}

const args = exampleArgs('regression', 'y = 2x + 1 + noise: sigmoid, ReLU, leaky ReLU and tanh networks compared by MSE.', { epochs: 'N' });
const epochs = intOption(args, 'epochs', 300);
const engine = await openEngine(args.backend);
try {
  const data = makeData();
  const ls = leastSquares(data.x, data.y);
  console.log(`\ny = 2x + 1 + noise: ${N} points, x uniform in [−1, 1], noise N(0, ${NOISE}²), seed 0`);
  console.log(`network: 1 → ${HIDDEN} <activation> → 1, MSE, Adam lr 0.01, batch 20, ${epochs} epochs, seed 0\n`);
  const results: Result[] = [];
  for (const [name, act, init] of [
    ['sigmoid', sigmoid(), 'glorot'],
    ['relu', relu(), 'he'],
    ['leakyRelu(0.01)', leakyRelu(0.01), 'he'],
    ['tanh', tanh(), 'glorot'],
  ] as const) {
    results.push(await fitOne(engine, name, act, init, epochs, data));
  }
  const shown = marks(epochs);
  console.log('training MSE (mean over the epoch) by epoch:');
  console.log(table(['activation', ...shown.map((e) => `ep ${e}`)], results.map((r) => [r.name, ...r.curve.map((v) => fixed(v))])));
  // The third marked epoch, or the last one when there are fewer (--epochs 1..4).
  const early = Math.min(2, shown.length - 1);
  const fastest = [...results].sort((a, b) => a.curve[early]! - b.curve[early]!)[0]!;
  console.log(`fastest start (lowest MSE at epoch ${shown[early]}): ${fastest.name}`);
  console.log('\nfinal:');
  console.log(table(
    ['activation', 'train MSE', 'MSE vs 2x+1', 'fitted slope', 'fitted intercept', 'seconds'],
    [
      ...results.map((r) => [r.name, fixed(r.mse), fixed(r.lineMse, 5), fixed(r.slope, 3), fixed(r.intercept, 3), r.seconds.toFixed(2)]),
      ['least-squares line', fixed(ls.mse), fixed((ls.slope - 2) ** 2 / 3 + (ls.intercept - 1) ** 2, 5), fixed(ls.slope, 3), fixed(ls.intercept, 3), '-'],
    ],
  ));
  const ranked = [...results].sort((a, b) => a.mse - b.mse);
  const best = ranked[0]!;
  const worst = ranked[ranked.length - 1]!;
  console.log(`\nlowest training MSE: ${best.name} (${fixed(best.mse)}); highest: ${worst.name} (${fixed(worst.mse)}).`);
  const truest = [...results].sort((a, b) => a.lineMse - b.lineMse)[0]!;
  console.log(`closest to the true function 2x + 1 on [−1, 1]: ${truest.name} (mean squared gap ${fixed(truest.lineMse, 5)}).`);
  console.log(
    `the noise has variance ${fixed(NOISE ** 2)}; the best straight line for these ${N} points (least squares) has MSE ${fixed(ls.mse)}, ` +
      'which is what a network that learned the line (and not the noise) should reach.',
  );
  const close = results.filter((r) => r.mse <= ls.mse * 1.1).map((r) => r.name);
  console.log(close.length > 0
    ? `within 10 % of the least-squares MSE after ${epochs} epochs: ${close.join(', ')}.`
    : `no network is within 10 % of the least-squares MSE after ${epochs} epochs; try more --epochs.`);
  const overfit = results.filter((r) => r.mse < ls.mse * 0.97).map((r) => r.name);
  if (overfit.length > 0) console.log(`below the line's MSE (fitting some of the noise): ${overfit.join(', ')}.`);
} finally {
  engine.destroy();
}
