// Sigmoid against ReLU, judged on held-out data: the same two-layer network
// (64 → 64 → 10, softmax cross-entropy, Adam) with sigmoid and with ReLU hidden units on
// the UCI digits (data/digits.csv), split 75/25 stratified and standardised with the
// training statistics. Train AND test accuracy, side by side, after every epoch: training
// accuracy alone says little about generalisation.
//
//   npm run example:sigmoid-vs-relu -- [--backend auto|webgpu|cpu] [--epochs N]

import {
  adam, dense, type Engine, relu, sequential, sigmoid, standardize, stratifiedSplit, takeRows,
} from '../../src/index.js';
import { exampleArgs, fixed, intOption, loadDigits, openEngine, table } from '../shared/util.js';

const HIDDEN = 64;
const LR = 0.001;

interface Run {
  name: string;
  trainAcc: number[];
  testAcc: number[];
  trainLoss: number[];
  testLoss: number[];
  seconds: number;
  samplesPerSecond: number;
}

const args = exampleArgs('sigmoid-vs-relu', 'The same network with sigmoid and with ReLU on UCI digits: train and test accuracy per epoch.', { epochs: 'N' });
const epochs = intOption(args, 'epochs', 30);
const engine = await openEngine(args.backend);
try {
  const digits = loadDigits();
  const all = { rows: digits.rows, cols: digits.cols, data: digits.x };
  const split = stratifiedSplit(digits.labels, { testFraction: 0.25, seed: 0 });
  const { train: xTrain, others: [xTest], stats } = standardize(takeRows(all, split.train), takeRows(all, split.test));
  const yTrain = Int32Array.from(split.train, (r) => digits.labels[r]!);
  const yTest = Int32Array.from(split.test, (r) => digits.labels[r]!);
  void stats;
  console.log(`\nUCI digits: ${digits.rows} images of 8×8 pixels, 10 classes; stratified split (seed 0): ${xTrain.rows} train, ${xTest!.rows} test; standardised on train`);
  console.log(`network: 64 → ${HIDDEN} <activation> → 10, softmax cross-entropy, Adam lr ${LR}, batch 32, ${epochs} epochs, seed 0\n`);

  async function run(e: Engine, name: string, act: 'sigmoid' | 'relu'): Promise<Run> {
    const model = sequential(
      e,
      [dense(64, HIDDEN, { init: act === 'relu' ? 'he' : 'glorot' }), act === 'relu' ? relu() : sigmoid(), dense(HIDDEN, 10)],
      { seed: 0 },
    );
    const r: Run = { name, trainAcc: [], testAcc: [], trainLoss: [], testLoss: [], seconds: 0, samplesPerSecond: 0 };
    try {
      model.compile({ loss: 'softmaxCrossEntropy', optimizer: adam({ lr: LR }) });
      let samples = 0;
      await model.fit(xTrain, yTrain, {
        epochs, batchSize: 32, seed: 0, validationData: [xTest!, yTest],
        onEpochEnd: async (logs) => {
          // Accuracy on the whole training set with the weights at the end of the epoch
          // (the running accuracy during the epoch lags behind).
          const tr = await model.evaluate(xTrain, yTrain);
          r.trainAcc.push(tr.accuracy!);
          r.trainLoss.push(tr.loss);
          r.testAcc.push(logs.valAccuracy!);
          r.testLoss.push(logs.valLoss!);
          r.seconds += logs.seconds;
          samples += xTrain.rows;
        },
      });
      r.samplesPerSecond = samples / r.seconds;
      return r;
    } finally {
      model.dispose();
    }
  }

  const sig = await run(engine, 'sigmoid', 'sigmoid');
  const rel = await run(engine, 'relu', 'relu');
  const pct = (v: number) => `${(100 * v).toFixed(2)}`;
  console.log('accuracy (%) after each epoch:');
  console.log(table(
    ['epoch', 'sigmoid train', 'sigmoid test', 'relu train', 'relu test'],
    sig.trainAcc.map((_, i) => [i + 1, pct(sig.trainAcc[i]!), pct(sig.testAcc[i]!), pct(rel.trainAcc[i]!), pct(rel.testAcc[i]!)]),
  ));

  const last = (a: number[]) => a[a.length - 1]!;
  console.log('\nfinal:');
  console.log(table(
    ['activation', 'train acc %', 'test acc %', 'gap (pts)', 'train loss', 'test loss', 'best test %', 'at epoch', 'train s', 'samples/s'],
    [sig, rel].map((r) => {
      const best = Math.max(...r.testAcc);
      return [
        r.name, pct(last(r.trainAcc)), pct(last(r.testAcc)), (100 * (last(r.trainAcc) - last(r.testAcc))).toFixed(2),
        fixed(last(r.trainLoss)), fixed(last(r.testLoss)), pct(best), r.testAcc.indexOf(best) + 1, r.seconds.toFixed(2),
        Math.round(r.samplesPerSecond).toLocaleString('en-US'),
      ];
    }),
  ));

  // What the numbers say (computed, not written in advance).
  const errors = (r: Run) => Math.round((1 - last(r.testAcc)) * xTest!.rows);
  const [better, worse] = last(sig.testAcc) >= last(rel.testAcc) ? [sig, rel] : [rel, sig];
  console.log('');
  if (errors(better) === errors(worse)) {
    console.log(`on the test set both make ${errors(better)} errors out of ${xTest!.rows}: no difference in generalisation here.`);
  } else {
    console.log(
      `on the test set ${better.name} makes ${errors(better)} errors and ${worse.name} ${errors(worse)} (of ${xTest!.rows}): ` +
        `${better.name} generalises better by ${(100 * (last(better.testAcc) - last(worse.testAcc))).toFixed(2)} points.`,
    );
  }
  const firstAt = (r: Run, level: number) => r.testAcc.findIndex((a) => a >= level) + 1;
  for (const level of [0.9, 0.95]) {
    const s = firstAt(sig, level);
    const q = firstAt(rel, level);
    console.log(`test accuracy ≥ ${100 * level} % first reached: sigmoid ${s > 0 ? `epoch ${s}` : 'never'}, relu ${q > 0 ? `epoch ${q}` : 'never'}.`);
  }
  const gap = (r: Run) => last(r.trainAcc) - last(r.testAcc);
  const [tight, loose] = gap(sig) <= gap(rel) ? [sig, rel] : [rel, sig];
  console.log(
    `train–test gap: ${tight.name} ${(100 * gap(tight)).toFixed(2)} points, ${loose.name} ${(100 * gap(loose)).toFixed(2)}` +
      (gap(loose) > 0 ? `: ${loose.name} fits the training set more closely than it generalises.` : ': neither fits the training set better than the test set.'),
  );
  const trainBetter = last(sig.trainAcc) >= last(rel.trainAcc) ? sig : rel;
  const testTie = errors(better) === errors(worse);
  console.log(
    `${trainBetter.name} fits the training set ${last(sig.trainAcc) === last(rel.trainAcc) ? 'as well as the other' : 'better'}` +
      ` (${pct(last(trainBetter.trainAcc))} %)` +
      (trainBetter !== better && !testTie ? `, yet ${better.name} does better on held-out data — the measure that matters.` : '.'),
  );
} finally {
  engine.destroy();
}
