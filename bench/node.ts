// Node benchmark runner: every workload on every backend Node has (WebGPU through Dawn when
// an adapter exists, and the CPU). Each case: warm-up, repeats synchronised with
// engine.sync(), every output checked against float64 before its time counts.
// Progress → stderr, table → stdout, JSON → bench/results/node-<backend|all>-<date>.json.
//
//   npm run bench [-- --quick] [-- --backend webgpu|cpu|all] [-- --tiling auto|workgroup|register] [-- --out FILE.json]
//                 [-- --gram-sizes 4096,8192,16384,32768] [-- --gram-dims 64,256,784] [-- --gram-cap 120]
// The tiled Gram cases (bench/gram-tiled.ts) stream K through gramTiles; sizes whose
// estimated time exceeds --gram-cap seconds are skipped with a note.

import { choiceFlag, formatFlags, numberFlag, parseFlags, UsageError } from '../src/cli/args.js';
import { BackendUnavailableError, createEngine, describeAdapter, type BackendKind, type Engine, TILING_CHOICES } from '../src/index.js';
import {
  type BackendInfo, type CaseResult, formatTable, log, machine, prepareReportPath, type Report, resultsFile, runMain, runs, writeReport,
} from './report.js';
import { buildInfo } from './build.js';
import { tiledGramCases } from './gram-tiled.js';
import { measureChecked, type TimingOptions } from './timing.js';
import { type Prepared, type Workload, workloads } from './workloads.js';

const FLAGS = {
  quick: { type: 'boolean', help: 'small sizes and 3 repeats (about a minute on a software GPU)' },
  backend: { type: 'string', value: 'all|webgpu|cpu', help: 'which backends to run (default all available)' },
  tiling: { type: 'string', value: 'auto|workgroup|register', help: 'WebGPU matmul/Gram kernels (default auto: register on CPU-backed adapters)' },
  out: { type: 'string', value: 'FILE.json', help: 'where to write the JSON (default bench/results/node-<backend>-<date>.json)' },
  'gram-sizes': { type: 'string', value: 'N,N,...', help: 'tiled Gram sizes N = M (default 4096,8192,16384,32768; --quick: 2048; "none" to skip)' },
  'gram-dims': { type: 'string', value: 'd,d,...', help: 'tiled Gram feature counts (default 64,256,784; --quick: 64)' },
  'gram-cap': { type: 'string', value: 'SECONDS', help: 'skip a tiled Gram case estimated to run longer than this (default 120)' },
} as const;

function intList(name: string, text: string): number[] {
  if (text === 'none') return [];
  const parts = text.split(',').map((t) => t.trim());
  // Decimal digits only: Number() alone took 0x800 as 2048 and 1e3 as 1000.
  if (parts.some((t) => !/^\d+$/.test(t) || Number(t) < 1 || !Number.isSafeInteger(Number(t)))) {
    throw new UsageError(`--${name} must be positive integers separated by commas, got ${text}`);
  }
  return parts.map(Number);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: node bench/dist/node.js [options]\n\noptions:\n${formatFlags(FLAGS)}\n`);
    return 0;
  }
  const flags = parseFlags('bench', argv, FLAGS);
  const which = choiceFlag('backend', flags.backend ?? 'all', ['all', 'webgpu', 'cpu'] as const);
  const quick = flags.quick;
  const tiling = choiceFlag('tiling', flags.tiling ?? 'auto', TILING_CHOICES);
  const timing: TimingOptions = { repeats: quick ? 3 : 5, budgetMs: 20_000 };
  const cases = workloads(quick);
  const gramSizes = intList('gram-sizes', flags['gram-sizes'] ?? (quick ? '2048' : '4096,8192,16384,32768'));
  const gramDims = intList('gram-dims', flags['gram-dims'] ?? (quick ? '64' : '64,256,784'));
  const gramCap = numberFlag('gram-cap', flags['gram-cap'] ?? '120');
  if (!(gramCap > 0)) throw new UsageError(`--gram-cap must be a number of seconds > 0, got ${flags['gram-cap']}`);
  const date = new Date();
  const out = await prepareReportPath(flags.out ?? resultsFile(`node-${which}`, date.toISOString()));
  const report: Report = {
    tool: 'sigmoid-core bench/node', date: date.toISOString(), build: buildInfo(), args: argv, quick, ...machine(),
    backends: [], skipped: [], results: [],
  };
  log(`sigmoid-core bench${quick ? ' --quick' : ''}: ${cases.length} workloads, up to ${timing.repeats} timed runs each, on ${report.cpu.model} (${report.cpu.cores} cores), node ${report.node}`);

  for (const kind of (which === 'all' ? ['webgpu', 'cpu'] : [which]) as BackendKind[]) {
    let engine: Engine;
    try {
      engine = await createEngine({ backend: kind, tiling, log: null });
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      log(`[${kind}] skipped: ${err.message}`);
      report.skipped.push({ backend: kind, reason: err.message });
      continue;
    }
    const info: BackendInfo = { backend: engine.backend, adapter: engine.adapterInfo, tiling: engine.tiling, limits: engine.limits };
    report.backends.push(info);
    log(`[${kind}] ${info.adapter ? `${describeAdapter(info.adapter)}, ${info.tiling}-tiled kernels` : 'CPU (Float32Array, one thread)'}`);
    try {
      for (const w of cases) report.results.push(await runCase(engine, w, timing));
      if (gramSizes.length > 0 && gramDims.length > 0) {
        report.results.push(...(await tiledGramCases(engine, { sizes: gramSizes, dims: gramDims, capSeconds: gramCap, repeats: timing.repeats, log })));
      }
    } finally {
      engine.destroy();
    }
  }

  process.stdout.write(`${formatTable(report.results)}\n`);
  await writeReport(out, report, log);
  const bad = report.results.filter((r) => r.check === 'FAILED' || r.check === 'ERROR').length;
  if (bad > 0) log(`${bad} case(s) FAILED or errored: their times are excluded`);
  // A run whose every backend was skipped measured nothing: that is a failure, not a result.
  if (report.backends.length === 0) log(`no backend could start (${report.skipped.map((k) => `${k.backend}: ${k.reason}`).join('; ')})`);
  return bad > 0 || report.backends.length === 0 ? 1 : 0;
}

async function runCase(engine: Engine, w: Workload, opts: TimingOptions): Promise<CaseResult> {
  const base = { backend: engine.backend, workload: w.name, size: w.size, unit: w.unit };
  const tag = `[${engine.backend}] ${w.name} ${w.size}`;
  const liveBefore = engine.memory().liveTensors;
  log(`${tag}: warming up...`);
  let prepared: Prepared | null = null;
  try {
    const p = (prepared = w.prepare(engine));
    await engine.sync();
    const r = await measureChecked(
      async () => {
        const out = p.run();
        await engine.sync();
        return out;
      },
      async (out, i) => {
        try {
          const c = p.check(await out.read());
          if (i === -1) log(`${tag}: check ${c.ok ? 'ok' : 'FAILED'} (${c.detail}); timing...`);
          return c;
        } finally {
          out.dispose();
        }
      },
      opts,
    );
    if (r.check === 'FAILED') {
      log(`${tag}: FAILED ${r.detail} (${runs(r.runs)})`);
      return { ...base, timing: null, throughput: null, check: 'FAILED', detail: r.detail };
    }
    const { timing } = r;
    const throughput = w.throughput(timing.medianMs / 1000);
    log(`${tag}: median ${timing.medianMs.toFixed(2)} ms, ${throughput.toPrecision(3)} ${w.unit} (${runs(timing.samples.length)})`);
    return { ...base, timing, throughput, check: 'ok', detail: r.detail };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log(`${tag}: ERROR ${msg}`);
    return { ...base, timing: null, throughput: null, check: 'ERROR', detail: msg };
  } finally {
    prepared?.dispose();
    const leaked = engine.memory().liveTensors - liveBefore;
    if (leaked !== 0) log(`${tag}: warning: ${leaked} tensor(s) still live after the case`);
  }
}

await runMain('bench', main);
