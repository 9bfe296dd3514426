// `npm run bench:peers`: the peer benchmark (bench/peer-run.ts) in Node, WebGPU through
// Dawn (the `webgpu` package) handed to every library as navigator.gpu: sigmoid-core,
// TensorFlow.js and jax-js on one adapter, in one process. With --ceiling it also runs the
// vendor BLAS fp32 matmul (bench/cublas.py: PyTorch, TF32 off) on the same sizes and prints
// sigmoid-core's share of it. This is the benchmark for a real GPU: bundled into
// .gpu/bench.mjs by `npm run bench:gpu-bundle` (see bench/README.md, "On a GPU host").
// Progress → stderr, tables → stdout, JSON → --out (default bench/results/peers-<mode>-<date>.json).
//
//   npm run bench:peers -- [--mode quick|full|gpu] [--backends id,id…] [--tiling auto|workgroup|register]
//                          [--ceiling bench/cublas.py] [--out FILE.json]
import './navigator-gpu.js';
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { choiceFlag, formatFlags, parseFlags, UsageError } from '../src/cli/args.js';
import { TILING_CHOICES } from '../src/index.js';
import { type BenchState, type Mode, MODES, OURS, runBench, specs } from './peer-run.js';
import { backendsFlag, log, machine, peerRunProblems, prepareReportPath, resultsFile, runMain, writeReport } from './report.js';
import { fmtNum, formatState } from './table.js';

const FLAGS = {
  mode: { type: 'string', value: 'quick|full|gpu', help: 'sizes: quick (CI-sized), full (the browser page\'s), gpu (full plus matmul 4096/8192 and Gram 8192, sigmoid 2^24 instead of 2^22, 10 runs per case) (default full)' },
  backends: { type: 'string', value: 'id,id…', help: 'which backends (default sigmoid-core-webgpu,tfjs-webgpu,jax-webgpu)' },
  tiling: { type: 'string', value: 'auto|workgroup|register', help: 'sigmoid-core\'s WebGPU matmul/Gram kernels (default auto)' },
  ceiling: { type: 'string', value: 'SCRIPT.py', help: 'also time the vendor BLAS matmul with `python3 SCRIPT.py` (bench/cublas.py) on the same sizes' },
  out: { type: 'string', value: 'FILE.json', help: 'where to write the JSON (default bench/results/peers-<mode>-<date>.json)' },
} as const;

/** One size of the ceiling script's output. */
interface CeilingRow { n: number; medianMs: number; minMs: number; gflops: number }
interface Ceiling { library: string; device: string; tf32: boolean; results: CeilingRow[] }

/** --ceiling's script, checked with the other flags: a missing one was found out only after the whole run. */
async function ceilingFlag(path: string): Promise<string> {
  const st = await stat(path).catch(() => null);
  if (st === null) throw new UsageError(`--ceiling ${path}: no such file`);
  if (!st.isFile()) throw new UsageError(`--ceiling ${path} is not a file`);
  return path;
}

function runCeiling(script: string, sizes: number[]): Ceiling | string {
  log(`[ceiling] python3 ${script} ${sizes.join(',')}…`);
  const r = spawnSync('python3', [script, sizes.join(',')], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return `python3 could not run: ${r.error.message}`;
  if (r.status !== 0) return `python3 ${script} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  let v: unknown;
  try {
    v = JSON.parse(r.stdout);
  } catch {
    return `python3 ${script} printed no JSON: ${r.stdout.slice(0, 200)}`;
  }
  // Checked before use: a JSON of another shape crashed the table after the whole run, and no report was written.
  return isCeiling(v) ? v : `python3 ${script} printed JSON that is not { library, device, tf32, results: [{ n, medianMs, minMs, gflops }…] }: ${r.stdout.slice(0, 200)}`;
}

function isCeiling(v: unknown): v is Ceiling {
  const o = v as Partial<Record<keyof Ceiling, unknown>> | null;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return typeof o === 'object' && o !== null && typeof o.library === 'string' && typeof o.device === 'string' && typeof o.tf32 === 'boolean' &&
    Array.isArray(o.results) && o.results.every((row: Partial<Record<keyof CeilingRow, unknown>> | null) =>
      typeof row === 'object' && row !== null && finite(row.n) && finite(row.medianMs) && finite(row.minMs) && finite(row.gflops));
}

/** matmul N | sigmoid-core | best peer | ceiling | % of ceiling, in GFLOP/s. */
function formatCeiling(s: BenchState, c: Ceiling): string {
  const head = `| matmul N | ${OURS} | best peer | ${c.library} (${c.device}) | ${OURS} ÷ ceiling |`;
  const rows = c.results.map((row) => {
    const of = (pred: (b: string) => boolean) => s.results
      .filter((r) => r.workload === 'matmul' && r.size === String(row.n) && pred(r.backend) && r.throughput !== null)
      .map((r) => ({ id: r.backend, v: r.throughput! }));
    const ours = of((b) => b === OURS)[0]?.v ?? null;
    const best = of((b) => b !== OURS).sort((x, y) => y.v - x.v)[0] ?? null;
    return `| ${row.n} | ${ours === null ? '—' : fmtNum(ours)} | ${best === null ? '—' : `${fmtNum(best.v)} (${best.id})`} | ${fmtNum(row.gflops)} | ${ours === null ? '—' : `${((100 * ours) / row.gflops).toFixed(1)} %`} |`;
  });
  return [`GFLOP/s at the median time; ceiling fp32${c.tf32 ? ' (TF32 ON)' : ', TF32 off'}:`, '', head, '|---|---|---|---|---|', ...rows].join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench:peers -- [options]\n\noptions:\n${formatFlags(FLAGS)}\n`);
    return 0;
  }
  const flags = parseFlags('bench:peers', argv, FLAGS);
  const mode: Mode = choiceFlag('mode', flags.mode ?? 'full', MODES);
  const ids = backendsFlag(flags.backends ?? 'sigmoid-core-webgpu,tfjs-webgpu,jax-webgpu');
  const tiling = choiceFlag('tiling', flags.tiling ?? 'auto', TILING_CHOICES);
  const ceilingScript = flags.ceiling === undefined ? null : await ceilingFlag(flags.ceiling);
  const out = await prepareReportPath(flags.out ?? resultsFile(`peers-${mode}`, new Date().toISOString()));
  const nav = (globalThis as unknown as { navigator: { userAgent?: string; hardwareConcurrency?: number } }).navigator;
  log(`bench:peers ${mode}: ${ids.join(', ')}${tiling === 'auto' ? '' : ` (sigmoid-core tiling=${tiling})`}`);
  const state = await runBench(mode, ids, { progress: (line) => log(line), update: () => {} }, {
    tool: 'sigmoid-core bench/peers-node', userAgent: nav.userAgent ?? `Node.js ${process.version}`,
    hardwareConcurrency: nav.hardwareConcurrency ?? cpus().length,
  }, { tiling });
  const sizes = specs(mode).filter((c) => c.name === 'matmul').map((c) => Number(c.size));
  const ceiling = ceilingScript === null ? null : runCeiling(ceilingScript, sizes);
  const lines = [formatState(state, OURS)];
  if (typeof ceiling === 'string') lines.push('', `ceiling: not measured (${ceiling})`);
  else if (ceiling !== null) lines.push('', formatCeiling(state, ceiling));
  process.stdout.write(`${lines.join('\n')}\n`);

  await writeReport(out, { ...state, args: argv, host: machine(), ceiling }, log);
  const problems = peerRunProblems(state);
  for (const line of problems) log(line);
  return problems.length > 0 || typeof ceiling === 'string' ? 1 : 0;
}

await runMain('bench:peers', main);
