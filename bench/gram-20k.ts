// The "done when" check as a script: a 20,000 × 20,000 sigmoid Gram matrix K(X, X)
// computed through tiling on WebGPU (upper triangle of tiles, mirrored; tiles discarded as
// they come) and 20 sampled rows checked against the CPU backend and float64.
//
//   npm run bench:gram-20k [-- --n 20000] [-- --d 32] [-- --tile 2048]
// Exit code 0 when every sampled entry is within 1e-5 of the CPU backend and of float64,
// 1 when not, 2 for a flag it cannot use.

import { formatFlags, intFlag, parseFlags, UsageError } from '../src/cli/args.js';
import { BackendUnavailableError, createEngine, type Engine, LimitError, planGramTiles } from '../src/index.js';
import { buildInfo } from './build.js';
import { checkLargeGram } from './gram-check.js';
import { log, machine, runMain } from './report.js';

const FLAGS = {
  n: { type: 'string', value: 'N', help: 'rows of X: K is N×N (default 20000)' },
  d: { type: 'string', value: 'D', help: 'features per row (default 32)' },
  tile: { type: 'string', value: 'T', help: 'tile side, rows and columns of K per tile (default up to 2048, within the device\'s buffer limits)' },
} as const;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: npm run bench:gram-20k -- [options]\n\noptions:\n${formatFlags(FLAGS)}\n`);
    return 0;
  }
  const flags = parseFlags('bench:gram-20k', argv, FLAGS);
  const n = intFlag('n', flags.n ?? '20000', 1);
  const d = intFlag('d', flags.d ?? '32', 1);
  const tile = flags.tile === undefined ? undefined : intFlag('tile', flags.tile, 1);

  let gpu: Engine;
  try {
    gpu = await createEngine({ backend: 'webgpu', log: null });
  } catch (err) {
    if (!(err instanceof BackendUnavailableError)) throw err;
    log(`bench:gram-20k: ${err.message}`);
    return 1;
  }
  const cpu = await createEngine({ backend: 'cpu', log: null });
  try {
    if (tile !== undefined) {
      try {
        planGramTiles(gpu.limits, n, n, d, true, { tileRows: tile, tileCols: tile });
      } catch (err) {
        if (err instanceof LimitError) throw new UsageError(`--tile ${tile}: ${err.message}`);
        throw err;
      }
    }
    log(`gram ${n}×${n}, d = ${d}, sigmoid, through gramTiles on ${gpu.adapterInfo?.description ?? 'webgpu'}...`);
    const r = await checkLargeGram(gpu, cpu, { n, d, log, ...(tile === undefined ? {} : { tile }) });
    const ok = r.entries === n * n && r.maxDiffReference <= 1e-5 && r.maxDiffFloat64 <= 1e-5;
    log(
      `${r.tiling.computedTiles} tiles of ${r.tiling.tileRows}×${r.tiling.tileCols} computed (${r.tiling.tiles} with the mirrored ones), ` +
        `${r.entries} entries in ${r.seconds.toFixed(1)} s = ${((n * n) / r.seconds / 1e6).toFixed(1)} M entries/s (of K; half computed)`,
    );
    log(`${r.sampledRows.length} sampled rows: max |webgpu − cpu| = ${r.maxDiffReference.toExponential(2)}, max |webgpu − float64| = ${r.maxDiffFloat64.toExponential(2)} → ${ok ? 'ok' : 'FAILED'}`);
    const ranOn = { adapter: gpu.adapterInfo, kernels: gpu.tiling, host: machine() };
    process.stdout.write(`${JSON.stringify({ ...r, ok, build: buildInfo(), ...ranOn })}\n`);
    return ok ? 0 : 1;
  } finally {
    gpu.destroy();
    cpu.destroy();
  }
}

await runMain('bench:gram-20k', main);
