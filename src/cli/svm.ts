// `sigmoid-core svm`: a C-support-vector classifier (libsvm's SMO, one-vs-one) trained on a
// CSV file, with kernel rows from the engine (WebGPU, or the CPU fallback). The CSV, label,
// split and standardisation handling is the train command's (dataset.ts). Progress (one
// line per binary problem) and the summary go to stderr; --json prints the metrics as one
// JSON object on stdout; --save writes the model (with the preprocessing predict needs),
// last and atomically.

import { performance } from 'node:perf_hooks';
import { createEngine, describeAdapter } from '../create-engine.js';
import { ValueError } from '../errors.js';
import { writeAtomic } from '../io/files.js';
import { CPU_ENGINE, MAX_DEGREE, SCALE_DOWN, smallerOptions, STANDARDIZE_X } from '../gram-options.js';
import { SVC } from '../kernels/svc/svc.js';
import { GAMMA_SCALE, MAX_ITER_ADVICE, SVC_KERNELS, USE_FLOAT64 } from '../kernels/svc/params.js';
import type { SVCKernel, SVCProgress, SVCProviderKind } from '../kernels/svc/types.js';
import type { AdapterInfoSummary, BackendKind } from '../types.js';
import { choiceFlag, type Command, degreeFlag, type Flags, float32Flag, float32Value, intFlag, numberFlag, outputFlag, quietIo, seedFlag, UsageError } from './args.js';
import { DATASET_FLAGS, fmtClasses, loadDataset } from './dataset.js';
import { noteUnusedParams } from './gram.js';
import { BACKEND_FLAG, backendFlag } from './info.js';
import { plural } from './progress.js';
import { cliModelInfo, withCliInfo } from './train.js';

const flags = {
  ...DATASET_FLAGS,
  label: { ...DATASET_FLAGS.label, help: 'the label column (integer classes): its header name, or a 0-based column index' },
  'test-split': { ...DATASET_FLAGS['test-split'], help: 'without --test: hold out this share of train.csv, in (0, 1), seeded and stratified by class (every class keeps a training row)' },
  kernel: { type: 'string', value: 'K', help: `${SVC_KERNELS.join(', ')} (default rbf)` },
  gamma: { type: 'string', value: 'G', help: 'γ: scale (default, 1/(d·Var(X))), auto (1/d), or a number > 0' },
  coef0: { type: 'string', value: 'C0', help: 'c₀ of the sigmoid and polynomial kernels (default 0)' },
  C: { type: 'string', value: 'C', help: 'regularisation C > 0 (default 1)' },
  degree: { type: 'string', value: 'N', help: `polynomial degree, an integer in 1..${MAX_DEGREE} (default 3)` },
  tol: { type: 'string', value: 'EPS', help: 'stopping tolerance on the KKT violation (default 1e-3)' },
  'max-iter': { type: 'string', value: 'N', help: 'SMO iterations per binary problem before giving up with a warning (default max(10⁷, 100·l))' },
  'cache-size': { type: 'string', value: 'MB', help: 'kernel row cache in MB (default 200)' },
  'no-shrinking': { type: 'boolean', help: "turn off libsvm's shrinking heuristic (its -h 0: scan every point every iteration; usually slower on large problems; the same --tol stopping rule, not necessarily the identical model)" },
  seed: { type: 'string', value: 'S', help: 'seed of --test-split, an integer in 0..2^52 (default 0)' },
  backend: { ...BACKEND_FLAG, help: 'where kernel rows are computed; default auto: WebGPU if an adapter exists, else the CPU' },
  provider: {
    type: 'string', value: 'engine|float64',
    help: 'kernel rows from the engine (default: float32, on --backend) or in float64 on the host (no engine; slower, for data whose kernel overflows float32)',
  },
  save: { type: 'string', value: 'model.safetensors', help: 'write the fitted model here (for sigmoid-core predict)' },
  json: { type: 'boolean', help: 'print the final metrics as one JSON object on stdout' },
  quiet: { type: 'boolean', help: 'no progress and no notices on stderr (the final metrics still)' },
} as const;

type SvmFlags = Flags<typeof flags>;

export interface SvmReport {
  train: { accuracy: number; rows: number };
  test: { accuracy: number; rows: number } | null;
  supportVectors: { total: number; perClass: number[] };
  classes: number[];
  /** Seconds of fit (solver and kernel rows). */
  seconds: number;
  /** Seconds to predict the train and test rows. */
  predictSeconds: number;
  iterations: number;
  converged: boolean;
  kernelRows: { computed: number; batches: number; cacheHits: number };
  /** Where the kernel rows came from: 'engine' (on `backend`) or 'float64' (the host; backend null). */
  provider: SVCProviderKind;
  backend: BackendKind | null;
  adapter: AdapterInfoSummary | null;
  /** Where --save wrote the model, or null. */
  model: string | null;
  parameters: {
    kernel: string;
    C: number;
    /** γ as used (resolved from scale/auto). */
    gamma: number;
    gammaSpec: 'scale' | 'auto' | number;
    coef0: number;
    degree: number;
    tol: number;
    maxIter: number | null;
    cacheSize: number;
    shrinking: boolean;
    standardize: boolean;
  };
}

export const svmCommand: Command<typeof flags> = {
  summary: 'train a support-vector classifier (sigmoid, rbf, linear, polynomial kernel) on a CSV file; report accuracy',
  usage:
    'svm --train train.csv [--test test.csv | --test-split F] --label NAME [--kernel K] [--gamma G] [--coef0 C0] [--C C] ' +
    '[--degree N] [--tol EPS] [--no-shrinking] [--standardize] [--backend auto|webgpu|cpu | --provider float64] [--save model.safetensors] [--json] [--seed S] [options]',
  flags,
  async run(f, io) {
    const o = options(f);
    const { notice, log } = quietIo(f.quiet, io);
    const backend = backendFlag(f.backend); // before any data is read
    const provider = choiceFlag('provider', f.provider ?? 'engine', ['engine', 'float64'] as const);
    if (provider === 'float64' && f.backend !== undefined) throw new UsageError('--backend applies to --provider engine only (float64 rows need no engine)');
    if (f.save !== undefined) await outputFlag('save', f.save, { train: f.train, test: f.test });
    // Options are checked by the SVC constructor before any data is read.
    const svc = new SVC({
      C: o.C, kernel: o.kernel, gamma: o.gamma, coef0: o.coef0, degree: o.degree, tol: o.tol,
      maxIter: o.maxIter ?? undefined, cacheSize: o.cacheSize, shrinking: !f['no-shrinking'], provider,
      log: f.quiet ? null : (line) => io.err(flagWords(line, f.standardize)),
      onProgress: f.quiet ? undefined : (p: SVCProgress) => io.err(formatPair(p)),
    });
    noteUnusedParams(svc.options.kernel, { gamma: f.gamma, coef0: f.coef0, degree: f.degree }, notice);
    const d = await loadDataset(
      { train: f.train!, test: f.test, label: f.label!, testSplit: o.testSplit, seed: o.seed, standardize: f.standardize, task: 'classification', command: 'svm' },
      notice,
    );
    if (d.labels.task !== 'classification') throw new UsageError('svm needs integer class labels');
    const classes = d.labels.classes;
    // float64: labels beyond int32 (4294967296) must not wrap onto others (0).
    const yTrain = Float64Array.from(d.yTrainIdx!, (k) => classes[k]!);
    const yTest = d.xTest ? Float64Array.from(d.yTestIdx!, (k) => classes[k]!) : null;
    notice(
      `classification: ${plural(d.xTrain.rows, 'row')} × ${plural(d.xTrain.cols, 'feature')}, ${plural(classes.length, 'class', 'classes')} (${fmtClasses(classes)}); ` +
        `${plural(classes.length * (classes.length - 1) / 2, 'one-vs-one problem')}${f.standardize ? '; standardized' : ''}`,
    );

    const engine = provider === 'engine' ? await createEngine({ backend, log }) : null;
    let report: SvmReport;
    let bytes: Uint8Array | null = null;
    try {
      const t0 = performance.now();
      await svc.fit(engine, d.xTrain, yTrain);
      const seconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const trainAcc = await svc.score(d.xTrain, yTrain);
      const testAcc = d.xTest && yTest ? await svc.score(d.xTest, yTest) : null;
      const predictSeconds = (performance.now() - t1) / 1000;
      const info = svc.fitInfo;
      const nSupport = svc.nSupport;
      report = {
        train: { accuracy: trainAcc, rows: d.xTrain.rows },
        test: testAcc === null ? null : { accuracy: testAcc, rows: d.xTest!.rows },
        supportVectors: { total: nSupport.reduce((s, v) => s + v, 0), perClass: nSupport },
        classes,
        seconds,
        predictSeconds,
        iterations: info.iterations,
        converged: info.converged,
        kernelRows: { computed: info.rowsComputed, batches: info.batches, cacheHits: info.cacheHits },
        provider,
        backend: engine?.backend ?? null,
        adapter: engine?.adapterInfo ?? null,
        model: f.save ?? null,
        parameters: {
          kernel: svc.options.kernel, C: o.C, gamma: info.gamma, gammaSpec: o.gamma, coef0: o.coef0, degree: o.degree, tol: o.tol,
          maxIter: o.maxIter, cacheSize: o.cacheSize, shrinking: svc.options.shrinking, standardize: f.standardize,
        },
      };
      if (f.save !== undefined) bytes = withCliInfo(svc.save(), cliModelInfo(d, 'classification', classes));
    } catch (err) {
      throw inFlags(err, f.standardize);
    } finally {
      engine?.destroy();
    }
    if (f.save !== undefined && bytes !== null) await writeAtomic(f.save, [bytes]);
    io.err(formatReport(report, f.train!, f.test ?? null));
    if (f.json) io.out(JSON.stringify(report, null, 2));
  },
};

/** An SVC refusal with its advice in this command's flags (flagWords). */
function inFlags(err: unknown, standardized: boolean): unknown {
  if (!(err instanceof ValueError)) return err;
  const message = flagWords(err.message, standardized);
  return message === err.message ? err : new ValueError(message);
}

/**
 * SVC's advice (an error or its maxIter warning) in this command's flags: --provider float64
 * (not provider 'float64'), --backend cpu, --gamma scale, a smaller --gamma or --degree, lower
 * --C or raise --max-iter, and, unless the data is already standardized, --standardize for
 * "standardize X" and "scale the data down".
 */
function flagWords(text: string, standardized: boolean): string {
  const words: [library: string, command: string][] = [
    [USE_FLOAT64, 'use --provider float64'],
    [CPU_ENGINE, '--backend cpu'],
    [GAMMA_SCALE, '--gamma scale'],
    [smallerOptions(), smallerOptions((name) => `--${name}`)],
    [MAX_ITER_ADVICE, standardized ? 'lower --C or raise --max-iter' : 'use --standardize, lower --C, or raise --max-iter'],
  ];
  if (!standardized) words.push([STANDARDIZE_X, 'use --standardize'], [SCALE_DOWN, `${SCALE_DOWN} (--standardize)`]);
  return words.reduce((m, [library, command]) => m.replace(library, command), text);
}

interface Options {
  C: number;
  kernel: SVCKernel;
  gamma: 'scale' | 'auto' | number;
  coef0: number;
  degree: number;
  tol: number;
  maxIter: number | null;
  cacheSize: number;
  seed: number;
  testSplit: number | null;
}

function options(f: SvmFlags): Options {
  let testSplit: number | null = null;
  if (f['test-split'] !== undefined) {
    if (f.test !== undefined) throw new UsageError('give --test or --test-split, not both');
    testSplit = numberFlag('test-split', f['test-split']);
    if (!(testSplit > 0 && testSplit < 1)) throw new UsageError(`--test-split must be in (0, 1), got ${f['test-split']}`);
  }
  const g = f.gamma ?? 'scale';
  let gamma: 'scale' | 'auto' | number | null = g === 'scale' || g === 'auto' ? g : null;
  if (gamma === null) {
    try {
      gamma = numberFlag('gamma', g);
    } catch {
      // reported below, naming the words as well
    }
  }
  if (gamma === null || (typeof gamma === 'number' && !(gamma > 0))) {
    throw new UsageError(`--gamma must be scale, auto or a number > 0, got ${JSON.stringify(g)}`);
  }
  if (typeof gamma === 'number') float32Value('gamma', gamma, true);
  const C = f.C === undefined ? 1 : numberFlag('C', f.C);
  if (!(C > 0)) throw new UsageError(`--C must be > 0, got ${f.C}`);
  const tol = f.tol === undefined ? 1e-3 : numberFlag('tol', f.tol);
  if (!(tol > 0)) throw new UsageError(`--tol must be > 0, got ${f.tol}`);
  const cacheSize = f['cache-size'] === undefined ? 200 : numberFlag('cache-size', f['cache-size']);
  if (!(cacheSize > 0)) throw new UsageError(`--cache-size must be > 0 (MB), got ${f['cache-size']}`);
  return {
    C,
    kernel: choiceFlag('kernel', f.kernel ?? 'rbf', SVC_KERNELS),
    gamma,
    coef0: f.coef0 === undefined ? 0 : float32Flag('coef0', f.coef0),
    degree: f.degree === undefined ? 3 : degreeFlag(f.degree),
    tol,
    maxIter: f['max-iter'] === undefined ? null : intFlag('max-iter', f['max-iter'], 1),
    cacheSize,
    seed: seedFlag(f.seed ?? '0'),
    testSplit,
  };
}

/** `pair  3/45 (0 vs 3): 270 points, 143 iterations, 21 support vectors, 0.12 s`. */
function formatPair(p: SVCProgress): string {
  const w = String(p.pairs).length;
  return (
    `pair ${String(p.pair).padStart(w)}/${p.pairs} (${p.classes[0]} vs ${p.classes[1]}): ${plural(p.size, 'point')}, ${plural(p.iterations, 'iteration')}, ` +
    `${plural(p.supportVectors, 'support vector')}${p.converged ? '' : ' (stopped at max-iter)'}, ${p.elapsed.toFixed(2)} s`
  );
}

function formatReport(r: SvmReport, trainPath: string, testPath: string | null): string {
  const p = r.parameters;
  const lines = [`train (${trainPath}): accuracy ${r.train.accuracy.toFixed(4)} (${plural(r.train.rows, 'row')})`];
  if (r.test) lines.push(`${testPath ? `test (${testPath})` : 'test (held out)'}: accuracy ${r.test.accuracy.toFixed(4)} (${plural(r.test.rows, 'row')})`);
  const gamma = p.kernel === 'linear' ? '' : ` γ=${p.gamma.toPrecision(4)}${typeof p.gammaSpec === 'string' ? ` (${p.gammaSpec})` : ''}`;
  const coef0 = p.kernel === 'sigmoid' || p.kernel === 'polynomial' ? ` c₀=${p.coef0}` : '';
  const degree = p.kernel === 'polynomial' ? ` degree=${p.degree}` : '';
  lines.push(
    `${plural(r.supportVectors.total, 'support vector')} (per class ${r.supportVectors.perClass.join(', ')}); ${p.kernel} kernel C=${p.C}${gamma}${coef0}${degree}`,
    `fit in ${r.seconds.toFixed(2)} s (${plural(r.iterations, 'SMO iteration')}, ${plural(r.kernelRows.computed, 'kernel row')} in ${plural(r.kernelRows.batches, 'batch', 'batches')}), ` +
      (r.backend === null ? 'kernel rows in float64 on the host' : `backend ${r.backend}${r.adapter ? ` (${describeAdapter(r.adapter)})` : ''}`) +
      (r.converged ? '' : '; NOT converged (max-iter reached)') +
      (r.model ? `; model saved to ${r.model}` : ''),
  );
  return lines.join('\n');
}
