// SVC fit benchmark: the standardized digits split (stratifiedSplit seed 0, 25 % test),
// rbf (C=1, γ=scale) and sigmoid (C=100, γ=0.005, c₀=−1: the values scikit-learn's 5-fold CV
// picked, see scripts/sklearn_svc_reference.py), on each backend: kernel rows from WebGPU
// (if an adapter exists), from the float32 CPU backend, and the float64 provider. Each case:
// one warm-up fit, then 3 timed fits (median, min–max); a case counts only if EVERY fit's
// test accuracy passes (rbf ≥ 0.97, sigmoid ≥ 0.96) and ≥ 99.5 % of its predictions equal the
// float64 run's (checked untimed after each fit; a case that fails has no time: '—' in the
// table, null in the JSON, and the first failing fit's numbers).
// Progress → stderr, table → stdout, JSON → bench/results/svc-<date>.json.
//
//   npm run bench:svc [-- --repeats N] [-- --out FILE.json]

import { readFileSync } from 'node:fs';
import { formatFlags, intFlag, parseFlags } from '../src/cli/args.js';
import { column, dropColumn, takeRows } from '../src/data/matrix.js';
import { stratifiedSplit } from '../src/data/split.js';
import { standardize } from '../src/data/standardize.js';
import { readCsv } from '../src/io/csv.js';
import { BackendUnavailableError, createEngine, describeAdapter, type Engine, SVC, type SVCOptions } from '../src/index.js';
import { buildInfo } from './build.js';
import { log, machine, prepareReportPath, resultsFile, runMain, writeReport } from './report.js';
import { markdown } from './table.js';
import type { CheckResult } from './cases.js';
import { measureChecked } from './timing.js';

const FLAGS = {
  repeats: { type: 'string', value: 'N', help: 'timed fits per case (default 3)' },
  out: { type: 'string', value: 'FILE.json', help: 'where to write the JSON (default bench/results/svc-<date>.json)' },
} as const;

const MODELS: { name: string; options: SVCOptions; minAccuracy: number }[] = [
  { name: 'rbf C=1 γ=scale', options: { kernel: 'rbf', C: 1, gamma: 'scale' }, minAccuracy: 0.97 },
  { name: 'sigmoid C=100 γ=0.005 c₀=−1', options: { kernel: 'sigmoid', C: 100, gamma: 0.005, coef0: -1 }, minAccuracy: 0.96 },
];

interface Row {
  model: string;
  backend: string;
  /** Fit times in seconds; null when the check failed (a wrong model's time is not reported). */
  medianS: number | null;
  minS: number | null;
  maxS: number | null;
  samplesS: number[] | null;
  testAccuracy: number;
  agreementWithFloat64: number;
  supportVectors: number;
  iterations: number;
  kernelRows: number;
  batches: number;
  /** Fits whose predictions were checked: the warm-up and every timed fit. */
  checkedFits: number;
  check: string;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: node bench/dist/svc.js [options]\n\noptions:\n${formatFlags(FLAGS)}\n`);
    return 0;
  }
  const flags = parseFlags('bench:svc', argv, FLAGS);
  const repeats = intFlag('repeats', flags.repeats ?? '3', 1);
  const date = new Date();
  const out = await prepareReportPath(flags.out ?? resultsFile('svc', date.toISOString()));
  const csv = readCsv(readFileSync('data/digits.csv', 'utf8'), { source: 'data/digits.csv' });
  const label = csv.header!.indexOf('label');
  const y = column(csv, label);
  const x = dropColumn(csv, label);
  const split = stratifiedSplit(y, { testFraction: 0.25, seed: 0 });
  const { train, others: [test] } = standardize(takeRows(x, split.train), takeRows(x, split.test));
  const yTrain = split.train.map((i) => y[i]!);
  const yTest = split.test.map((i) => y[i]!);
  log(`sigmoid-core bench:svc: digits ${train.rows} train × ${train.cols} features, ${test!.rows} test; ${repeats} timed fits per case; ${machine().cpu.model}`);

  const engines: { backend: string; engine: Engine | null; adapter: string | null }[] = [];
  for (const kind of ['webgpu', 'cpu'] as const) {
    try {
      const engine = await createEngine({ backend: kind, log: null });
      engines.push({ backend: kind, engine, adapter: engine.adapterInfo ? describeAdapter(engine.adapterInfo) : null });
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      log(`[${kind}] skipped: ${err.message}`);
    }
  }
  engines.push({ backend: 'float64', engine: null, adapter: null });

  const rows: Row[] = [];
  try {
    for (const m of MODELS) {
      const ref = await new SVC({ ...m.options, provider: 'float64' }).fit(null, train, yTrain);
      const refPred = await ref.predict(test!);
      for (const e of engines) {
        log(`[${e.backend}] ${m.name}: warming up...`);
        // The numbers shown: the first failing fit's, else the last fit's.
        let shown: { svc: SVC; acc: number; agree: number; ok: boolean } | null = null;
        let checkedFits = 0;
        const checkFit = async (svc: SVC): Promise<CheckResult> => {
          const pred = await svc.predict(test!);
          const acc = pred.filter((p, i) => p === yTest[i]).length / pred.length;
          const agree = pred.filter((p, i) => p === refPred[i]).length / pred.length;
          checkedFits++;
          const ok = acc >= m.minAccuracy && agree >= 0.995;
          if (shown === null || shown.ok) shown = { svc, acc, agree, ok };
          const detail = acc < m.minAccuracy ? `accuracy ${acc.toFixed(4)} < ${m.minAccuracy}` : `agreement ${agree.toFixed(4)}`;
          return { ok, detail: ok ? 'ok' : detail };
        };
        const r = await measureChecked(
          () => new SVC({ ...m.options, provider: e.engine ? 'engine' : 'float64' }).fit(e.engine, train, yTrain),
          checkFit,
          { repeats, budgetMs: 120_000 },
        );
        const { svc, acc, agree } = shown!;
        const t = r.check === 'ok' ? r.timing : null;
        const check = t === null ? `FAILED: ${r.detail}` : 'ok';
        const info = svc.fitInfo;
        rows.push({
          model: m.name, backend: e.backend, medianS: t ? t.medianMs / 1000 : null, minS: t ? t.minMs / 1000 : null, maxS: t ? t.maxMs / 1000 : null,
          samplesS: t ? t.samples.map((s) => s / 1000) : null, testAccuracy: acc, agreementWithFloat64: agree,
          supportVectors: svc.nSupport.reduce((s, v) => s + v, 0), iterations: info.iterations, kernelRows: info.rowsComputed,
          batches: info.batches, checkedFits, check,
        });
        log(`[${e.backend}] ${m.name}: ${t ? `median ${(t.medianMs / 1000).toFixed(3)} s, ` : ''}accuracy ${acc.toFixed(4)}, ${check}`);
      }
    }
  } finally {
    for (const e of engines) e.engine?.destroy();
  }

  const head = ['model', 'backend', 'fit median', 'min–max', 'test acc', '= float64', 'SVs', 'iterations', 'rows/batches', 'check'];
  const body = rows.map((r) => [
    r.model, r.backend, r.medianS === null ? '—' : `${r.medianS.toFixed(3)} s`, r.minS === null || r.maxS === null ? '—' : `${r.minS.toFixed(3)}–${r.maxS.toFixed(3)} s`, r.testAccuracy.toFixed(4),
    `${(100 * r.agreementWithFloat64).toFixed(1)} %`, String(r.supportVectors), String(r.iterations), `${r.kernelRows}/${r.batches}`, r.check,
  ]);
  process.stdout.write(`${markdown(head, body)}\n`);

  const report = {
    tool: 'sigmoid-core bench/svc', date: date.toISOString(), build: buildInfo(), args: argv, ...machine(),
    data: { file: 'data/digits.csv', train: train.rows, test: test!.rows, features: train.cols, split: 'stratified, seed 0, 25 % test', standardized: true },
    backends: engines.map((e) => ({ backend: e.backend, adapter: e.adapter })),
    results: rows,
  };
  await writeReport(out, report, log);
  return rows.some((r) => r.check !== 'ok') ? 1 : 0;
}

await runMain('bench:svc', main);
