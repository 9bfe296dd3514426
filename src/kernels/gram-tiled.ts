// Gram matrices of any N×M that fits in host memory, streamed in tiles.
//
// engine.gram computes K = k(X, Y) in one dispatch into one buffer, so N·M is bounded by the
// device's buffer limits (and one long dispatch can trip a GPU watchdog). gramTiles cuts K
// into tiles of at most tileRows × tileCols entries (default ≤ 2048 × 2048, on the CPU backend
// sized to about CPU_WORK_PER_YIELD, always inside maxStorageBufferBindingSize and
// maxBufferSize, for the operands as well as the output),
// computes each tile with engine.gram on an uploaded row block of X and of Y, reads it
// back, hands it to a callback and frees it: at most two tiles (plus the cached operand
// blocks) live at once, whatever N·M is.
//
// - Exactness: every kernel entry depends only on its own x_i and y_j (the backends sum over
//   the features in a fixed order, whatever rows a buffer holds), so stitched tiles equal
//   the untiled engine.gram bit for bit.
// - Pipelining: tile k+1 is recorded and submitted before the readback of tile k is awaited,
//   so the GPU works while the host handles tile k.
// - Symmetry: for K(X, X) (Y null; any kernel but projected-sigmoid with α ≠ β, which is not
//   symmetric and has every tile computed) the tiles are square and only those with
//   colStart ≥ rowStart are computed. A diagonal tile is made exactly symmetric (its upper
//   triangle copied over the lower), and each off-diagonal computed tile is followed by its
//   transpose, flagged `mirrored`, so a consumer sees every entry exactly once and
//   K[j, i] === K[i, j] bit for bit.
// - Operand blocks: the column blocks (of Y, or of X when symmetric) are uploaded once and
//   kept while their total size is under OPERAND_CACHE_BYTES; otherwise each is uploaded
//   for the tile that needs it and freed after it. Each X row block is uploaded once.
// - Float32 sums: on WebGPU, data whose kernel sums could overflow float32 is refused before
//   any work (checkGramSums, as the kernel methods do): it gave a wrong K with no error.
//
// gramMatrix assembles the whole N×M in one host Float32Array (LimitError when N·M is more
// than a Float32Array can hold: 2³² elements in Node 20's V8).

import { checkMatrix, type Matrix } from '../data/matrix.js';
import { checkEngine, type Engine } from '../engine.js';
import { LimitError, ShapeError, ValueError } from '../errors.js';
import { GRAM_KEY_NAMES, resolveGramOptions, type ResolvedGramOptions } from '../gram-options.js';
import { CPU_WORK_PER_YIELD, cpuGramEntryCost, yielder } from '../next-task.js';
import { checkGramSums } from './float32-sums.js';
import type { Tensor } from '../tensor.js';
import type { BackendKind, EngineLimits, GramOptions } from '../types.js';
import { checkOptionalFunction, checkPositiveInt, describeValue, optionalBoolean, optionKeys, optionsObject } from '../validate.js';

/** Default upper bound of a tile's side: 2048 × 2048 = 4 M entries (16 MiB) per dispatch. */
export const DEFAULT_GRAM_TILE = 2048;
/** Column operand blocks are kept on the device for the whole run while they total at most this. */
const OPERAND_CACHE_BYTES = 256 * 2 ** 20;
/** The most elements one Float32Array may have (V8 in Node 20 refuses more). */
export const MAX_HOST_FLOAT32 = 2 ** 32;

/** One block of K = k(X, Y): rows rowStart… × columns colStart…, row-major. */
export interface GramTile {
  rowStart: number;
  colStart: number;
  rows: number;
  cols: number;
  /** rows × cols values, row-major; the consumer may keep it. */
  data: Float32Array;
  /** true for the transpose of a computed tile of K(X, X) (its entries were not recomputed). */
  mirrored: boolean;
}

export interface GramTileProgress {
  /** Tiles handed to onTile so far (mirrored ones included) and in all. */
  tilesDone: number;
  tiles: number;
  /** Entries of K handed over so far and in all (N·M). */
  entriesDone: number;
  entries: number;
}

export interface GramTileOptions extends GramOptions {
  /** Rows of K per tile (default: up to 2048 on WebGPU, fewer on the CPU, within the device's buffer limits). */
  tileRows?: number;
  /** Columns of K per tile (default: up to 2048 on WebGPU, fewer on the CPU, within the device's buffer limits). */
  tileCols?: number;
  /**
   * K(X, X) only (Y null): compute the upper triangle of tiles and mirror it (default true;
   * never for projected-sigmoid with α ≠ β, which is not symmetric).
   * false computes every tile, in row-block order. Symmetric tiles are square, with side
   * min(tileRows, tileCols).
   */
  mirror?: boolean;
  /** Called after each tile has been handed to onTile. */
  onProgress?: (p: GramTileProgress) => void;
}

/** The tiling gramTiles uses for these shapes and options (exported for the CLI and benches). */
export interface GramTiling {
  n: number;
  m: number;
  d: number;
  tileRows: number;
  tileCols: number;
  symmetric: boolean;
  /** Tiles computed on the engine, and tiles handed over (computed + mirrored). */
  computedTiles: number;
  tiles: number;
}

/**
 * Plans the tiles of K(X, Y) for X [n, d], Y [m, d] on an engine with `limits` and `backend`:
 * checks the options (ValueError: not a positive integer; LimitError: a tile or an operand
 * block over the device limits) and picks the defaults (on the CPU backend, square tiles of
 * about CPU_WORK_PER_YIELD: the yields come between tiles).
 */
export function planGramTiles(
  limits: EngineLimits, n: number, m: number, d: number, symmetric: boolean,
  opts: Pick<GramTileOptions, 'tileRows' | 'tileCols'> = {}, backend: BackendKind = 'webgpu',
): GramTiling {
  checkPositiveInt('planGramTiles: n', n);
  checkPositiveInt('planGramTiles: m', m);
  checkPositiveInt('planGramTiles: d', d);
  const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const maxFloats = Math.floor(maxBytes / 4);
  const rowCap = Math.floor(maxFloats / d); // rows of an operand block that fit one buffer
  if (rowCap < 1) {
    throw new LimitError(`gram: one row of ${d} features needs ${4 * d} bytes, over this device's buffer limit of ${maxBytes} bytes`);
  }
  const given = (name: 'tileRows' | 'tileCols'): number | null => {
    const v = opts[name];
    if (v === undefined) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ValueError(`gram: ${name} must be an integer ≥ 1, got ${describeValue(v)}`);
    }
    if (v > rowCap) {
      throw new LimitError(
        `gram: ${name} = ${v} rows of ${d} features need ${4 * v * d} bytes per operand block, over this device's buffer limit of ${maxBytes} bytes (at most ${rowCap})`,
      );
    }
    return v;
  };
  let tr = given('tileRows');
  let tc = given('tileCols');
  const userRows = tr !== null;
  const userCols = tc !== null;
  const side = backend === 'cpu'
    ? Math.max(1, Math.floor(Math.sqrt(CPU_WORK_PER_YIELD / cpuGramEntryCost(d))))
    : DEFAULT_GRAM_TILE;
  tr ??= Math.min(side, DEFAULT_GRAM_TILE, rowCap);
  tc ??= Math.min(side, DEFAULT_GRAM_TILE, rowCap);
  if (symmetric) tr = tc = Math.min(tr, tc);
  tr = Math.min(tr, n);
  tc = Math.min(tc, m);
  if (symmetric) tr = tc = Math.min(tr, tc);
  if (tr * tc > maxFloats) {
    if (userRows && userCols) {
      throw new LimitError(
        `gram: a ${tr}×${tc} tile needs ${4 * tr * tc} bytes, over this device's buffer limit of ${maxBytes} bytes`,
      );
    }
    // Only reachable with a user-given side: shrink the other one to fit.
    if (userRows) tc = Math.max(1, Math.floor(maxFloats / tr));
    else tr = Math.max(1, Math.floor(maxFloats / tc));
    if (symmetric) tr = tc = Math.min(tr, tc);
  }
  const rb = Math.ceil(n / tr);
  const cb = Math.ceil(m / tc);
  const computedTiles = symmetric ? (rb * (rb + 1)) / 2 : rb * cb;
  return { n, m, d, tileRows: tr, tileCols: tc, symmetric, computedTiles, tiles: rb * cb };
}

interface Job {
  rb: number;
  cb: number;
  rowStart: number;
  colStart: number;
  rows: number;
  cols: number;
}

const GRAM_TILE_KEYS = optionKeys<GramTileOptions>()(...GRAM_KEY_NAMES, 'tileRows', 'tileCols', 'mirror', 'onProgress');

interface InFlight {
  job: Job;
  out: Tensor;
  read: Promise<Float32Array>;
}

/**
 * Streams K = k(X, Y) (Y null: K(X, X)) tile by tile to `onTile` (awaited before the next
 * tile is handed over; the one after it is already computing). Options as engine.gram plus
 * the tiling ones. Tiles come in row-block order; with mirroring each off-diagonal tile is
 * followed by its transpose. Everything the call allocates on the engine is freed when it
 * returns or throws (an error from onTile stops the run and is rethrown).
 */
export async function gramTiles(
  engine: Engine, x: Matrix, y: Matrix | null, options: GramTileOptions, onTile: (tile: GramTile) => void | Promise<void>,
): Promise<GramTiling> {
  const { opts, resolved } = checkGramArgs('gramTiles', engine, x, y, options);
  return checkedGramTiles(engine, x, y, opts, resolved, onTile);
}

/**
 * gramTiles after checkGramArgs (`opts` checked, `resolved` its kernel options): for
 * gramMatrix and the gram command, which check X, Y and the float32 sums once, before it
 * (the command with its own remedy). Not exported from the package.
 */
export async function checkedGramTiles(
  engine: Engine, x: Matrix, y: Matrix | null, opts: GramTileOptions, resolved: ResolvedGramOptions,
  onTile: (tile: GramTile) => void | Promise<void>,
): Promise<GramTiling> {
  if (typeof onTile !== 'function') throw new ValueError('gramTiles: onTile must be a function');
  checkOptionalFunction('gramTiles: onProgress', opts.onProgress);
  const d = x.cols;
  const gramOpts: GramOptions = { ...resolved };
  const yy = y ?? x;
  // projected-sigmoid is symmetric only when α = β: otherwise every tile is computed.
  const symmetricKernel = resolved.kernel !== 'projected-sigmoid' || resolved.alpha!.every((a, i) => Object.is(a, resolved.beta![i]));
  const symmetric = (y === null || y === undefined) && optionalBoolean('gramTiles: mirror', opts.mirror, true) && symmetricKernel;
  const plan = planGramTiles(engine.limits, x.rows, yy.rows, d, symmetric, opts, engine.backend);
  const { n, m, tileRows: tr, tileCols: tc } = plan;
  const rowBlocks = Math.ceil(n / tr);
  const colBlocks = Math.ceil(m / tc);

  const colCache = new Map<number, Tensor>();
  const cacheCols = m * d * 4 <= OPERAND_CACHE_BYTES;
  const upload = (src: Matrix, start: number, rows: number): Tensor =>
    engine.tensor(src.data.subarray(start * d, (start + rows) * d), [rows, d]);
  /** Column block cb (of Y, or of X when symmetric): cached, or a temporary to free after use. */
  const colBlock = (cb: number, start: number, rows: number): { t: Tensor; temp: boolean } => {
    const cached = colCache.get(cb);
    if (cached !== undefined) return { t: cached, temp: false };
    const t = upload(yy, start, rows);
    if (cacheCols) colCache.set(cb, t);
    return { t, temp: !cacheCols };
  };
  let row: { rb: number; t: Tensor; owned: boolean } | null = null;
  /** X row block rb, uploaded once (when symmetric and cached, it is column block rb). */
  const rowBlock = (job: Job): Tensor => {
    if (row !== null && row.rb === job.rb) return row.t;
    if (row !== null && row.owned) row.t.dispose();
    row = null;
    if (symmetric && cacheCols) {
      row = { rb: job.rb, t: colBlock(job.rb, job.rowStart, job.rows).t, owned: false };
    } else {
      row = { rb: job.rb, t: upload(x, job.rowStart, job.rows), owned: true };
    }
    return row.t;
  };

  const progress: GramTileProgress = { tilesDone: 0, tiles: plan.tiles, entriesDone: 0, entries: n * m };
  const emit = async (tile: GramTile): Promise<void> => {
    await onTile(tile);
    progress.tilesDone++;
    progress.entriesDone += tile.rows * tile.cols;
    opts.onProgress?.({ ...progress });
  };

  const record = (job: Job): InFlight => {
    const xt = rowBlock(job);
    const col = symmetric && job.cb === job.rb ? { t: xt, temp: false } : colBlock(job.cb, job.colStart, job.cols);
    let out: Tensor;
    try {
      out = engine.gram(xt, col.t, gramOpts);
    } finally {
      if (col.temp) col.t.dispose(); // recorded: the pool orders any reuse after this tile
    }
    const read = out.read();
    read.catch(() => {}); // awaited in finish(); no unhandled rejection meanwhile
    return { job, out, read };
  };

  const finish = async (f: InFlight): Promise<void> => {
    let data: Float32Array;
    try {
      data = await f.read;
    } finally {
      f.out.dispose();
    }
    const { job } = f;
    if (symmetric && job.rb === job.cb) {
      // Exact symmetry inside a diagonal tile: the upper triangle wins.
      const s = job.rows;
      for (let i = 0; i < s; i++) for (let j = i + 1; j < s; j++) data[j * s + i] = data[i * s + j]!;
    }
    // Transposed before onTile sees the tile, which may change its data (it is the consumer's).
    const mirror = symmetric && job.rb !== job.cb ? transpose(data, job.rows, job.cols) : null;
    await emit({ rowStart: job.rowStart, colStart: job.colStart, rows: job.rows, cols: job.cols, data, mirrored: false });
    if (mirror !== null) {
      await emit({ rowStart: job.colStart, colStart: job.rowStart, rows: job.cols, cols: job.rows, data: mirror, mirrored: true });
    }
  };

  let pending: InFlight | null = null;
  // On the CPU backend a tile's read completes in the microtask queue: yield now and then,
  // or a page freezes for the whole run.
  const maybeYield = yielder();
  try {
    for (let rb = 0; rb < rowBlocks; rb++) {
      const rowStart = rb * tr;
      const rows = Math.min(tr, n - rowStart);
      for (let cb = symmetric ? rb : 0; cb < colBlocks; cb++) {
        const colStart = cb * tc;
        const next = record({ rb, cb, rowStart, colStart, rows, cols: Math.min(tc, m - colStart) });
        const prev = pending;
        pending = next;
        if (prev !== null) await finish(prev);
        const pause = maybeYield();
        if (pause !== undefined) await pause;
      }
    }
    const last = pending;
    pending = null;
    if (last !== null) await finish(last);
  } finally {
    if (pending !== null) {
      await pending.read.catch(() => {});
      pending.out.dispose();
    }
    const r = row as { t: Tensor; owned: boolean } | null;
    if (r !== null && r.owned) r.t.dispose();
    for (const t of colCache.values()) t.dispose();
  }
  return plan;
}

/**
 * The whole K = k(X, Y) (Y null: K(X, X), exactly symmetric) as one row-major N×M host
 * Float32Array, computed tile by tile (options as gramTiles). Throws a LimitError naming
 * the size, before any work, when N·M is more than one Float32Array can hold.
 */
export async function gramMatrix(
  engine: Engine, x: Matrix, y: Matrix | null, options?: GramTileOptions,
): Promise<Float32Array> {
  const { opts, resolved } = checkGramArgs('gramMatrix', engine, x, y, options);
  const n = x.rows;
  const m = y ? y.rows : x.rows;
  const entries = n * m;
  const tooBig = (why: string): LimitError =>
    new LimitError(
      `gramMatrix: K is ${n}×${m} = ${entries} float32 entries (${(entries * 4 / 2 ** 30).toFixed(1)} GiB), ` +
        `more than one Float32Array can hold here (${why}); stream it with gramTiles instead`,
    );
  if (entries > MAX_HOST_FLOAT32) throw tooBig(`at most ${MAX_HOST_FLOAT32} elements`);
  let k: Float32Array;
  try {
    k = new Float32Array(entries);
  } catch (err) {
    if (err instanceof RangeError) throw tooBig(err.message);
    throw err;
  }
  await checkedGramTiles(engine, x, y, opts, resolved, (t) => {
    if (t.cols === m) {
      k.set(t.data, t.rowStart * m);
      return;
    }
    for (let r = 0; r < t.rows; r++) {
      k.set(t.data.subarray(r * t.cols, (r + 1) * t.cols), (t.rowStart + r) * m + t.colStart);
    }
  });
  return k;
}

/**
 * The checks of gramTiles and gramMatrix (`what`) before any work: the engine, the options,
 * X and Y, and on WebGPU that the float32 sums of the kernel over X and Y cannot overflow
 * (they gave a wrong K with no error: rbf 0, tanh ±1 for a tiny γ on X ≈ 1e19, where the
 * CPU backend, summing in float64, is right).
 */
function checkGramArgs(
  what: string, engine: Engine, x: Matrix, y: Matrix | null | undefined, options: GramTileOptions | undefined,
): { opts: GramTileOptions; resolved: ResolvedGramOptions } {
  checkEngine(what, engine);
  const opts = optionsObject(what, options, GRAM_TILE_KEYS);
  checkMatrix(`${what}: X`, x);
  if (y !== null && y !== undefined) {
    checkMatrix(`${what}: Y`, y);
    if (y.cols !== x.cols) {
      throw new ShapeError(`${what}: X [${x.rows}, ${x.cols}] and Y [${y.rows}, ${y.cols}] must have the same number of columns (features)`);
    }
  }
  const resolved = resolveGramOptions(opts, x.cols);
  checkGramSums(engine, what, resolved, y === null || y === undefined ? [x] : [x, y]);
  return { opts, resolved };
}

/** The cols × rows transpose of a rows × cols row-major block. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const src = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[src + j]!;
  }
  return out;
}
