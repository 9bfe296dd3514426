// The "done when" check as a script: a 20,000 × 20,000 sigmoid Gram matrix K(X, X)
// computed through tiling on WebGPU (upper triangle of tiles, mirrored; tiles discarded as
// they come) and 20 sampled rows checked against the CPU backend and float64.
//
//   npm run bench:gram-20k [-- --n 20000] [-- --d 32] [-- --tile 2048]
// Exit code 0 when every sampled entry is within 1e-5 of the CPU backend and of float64.

import { parseArgs } from 'node:util';
import { createEngine } from '../src/index.js';
import { checkLargeGram } from './gram-check.js';

const { values } = parseArgs({ options: { n: { type: 'string' }, d: { type: 'string' } } });
const n = Number(values.n ?? 20000);
const d = Number(values.d ?? 32);
const log = (line: string) => process.stderr.write(`${line}\n`);

const gpu = await createEngine({ backend: 'webgpu', log: null });
const cpu = await createEngine({ backend: 'cpu', log: null });
try {
  log(`gram ${n}×${n}, d = ${d}, sigmoid, through gramTiles on ${gpu.adapterInfo?.description ?? 'webgpu'}...`);
  const r = await checkLargeGram(gpu, cpu, { n, d, log });
  const ok = r.entries === n * n && r.maxDiffReference <= 1e-5 && r.maxDiffFloat64 <= 1e-5;
  log(
    `${r.tiling.computedTiles} tiles of ${r.tiling.tileRows}×${r.tiling.tileCols} computed (${r.tiling.tiles} with the mirrored ones), ` +
      `${r.entries} entries in ${r.seconds.toFixed(1)} s = ${((n * n) / r.seconds / 1e6).toFixed(1)} M entries/s (of K; half computed)`,
  );
  log(`${r.sampledRows.length} sampled rows: max |webgpu − cpu| = ${r.maxDiffReference.toExponential(2)}, max |webgpu − float64| = ${r.maxDiffFloat64.toExponential(2)} → ${ok ? 'ok' : 'FAILED'}`);
  process.stdout.write(`${JSON.stringify({ ...r, tiling: r.tiling, ok })}\n`);
  process.exitCode = ok ? 0 : 1;
} finally {
  gpu.destroy();
  cpu.destroy();
}
