// reduce.wgsl — sums by tree reduction in workgroup memory (never a long serial loop).
// The host repeats a pass until one value (or one row) is left; grids may be folded into
// 2-D (the block index is computed from num_workgroups). Entry points:
//   sum_partial       each 256-thread workgroup sums a block of 1024 elements (4 per
//                     thread, then an 8-level tree): out[block] = scale · Σ block.
//                     The host passes scale = 1 except on the final pass. With the
//                     SQUARE override each element is squared as it is loaded (the
//                     host sets it on the first pass only): out[block] = scale · Σ x².
//   sum_direct        without workgroup memory: each thread sums a block of 64 consecutive
//                     elements in order, out[block] = scale · Σ block (SQUARE as above);
//                     64 threads per workgroup. For CPU-backed adapters (src/webgpu/tiling.ts).
//   col_sums_partial  x [rows, cols] → out [ceil(rows / 128), cols]: a 32×8 workgroup
//                     covers 32 columns × 128 rows; each thread sums 16 rows (stride 8)
//                     of its column, then a 3-level tree over the 8 lanes.
//   col_sums_direct   the same blocks and output without workgroup memory: one thread per
//                     column sums the block's 128 rows in order. For CPU-backed adapters,
//                     where barriers are expensive (src/webgpu/tiling.ts).
// With the SGD override (the host sets it on the final column-sums pass only) `out` is a
// parameter p [cols] updated in place by SGD with the column sum s as its gradient, as
// train.wgsl's sgd_update: p − lr·(s + wd·p) (common.wgsl's sgd_step, which
// src/webgpu/shaders.ts prepends). The bias gradient is then never stored.

override SQUARE: bool = false;
override SGD: bool = false;

struct Params {
  n: u32,        // sum: elements; col sums: rows
  cols: u32,     // col sums: columns
  col_blocks: u32, // col sums: ceil(cols / 32)
  total: u32,    // number of blocks in the grid
  scale: f32,
  lr: f32,       // col sums with SGD
  wd: f32,       // col sums with SGD: weight decay
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const SUM_WG: u32 = 256u;
const SUM_BLOCK: u32 = 1024u;

var<workgroup> partial: array<f32, 256>;

// The linear index of this workgroup in a grid that may be folded into 2-D.
fn grid_block(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// What one element adds to a sum: itself, or its square with SQUARE.
fn term(v: f32) -> f32 {
  return select(v, v * v, SQUARE);
}

@compute @workgroup_size(256)
fn sum_partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
  let block = grid_block(wid, nwg);
  if (block >= params.total) {
    return;
  }
  let n = params.n;
  let base = block * SUM_BLOCK + li;
  var s = 0.0;
  for (var l = 0u; l < 4u; l++) {
    let i = base + l * SUM_WG;
    if (i < n) {
      s += term(x[i]);
    }
  }
  partial[li] = s;
  workgroupBarrier();
  for (var stride = SUM_WG / 2u; stride > 0u; stride = stride / 2u) {
    if (li < stride) {
      partial[li] += partial[li + stride];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    out[block] = params.scale * partial[0];
  }
}

const DIRECT_WG: u32 = 64u;
const DIRECT_BLOCK: u32 = 64u;

@compute @workgroup_size(64)
fn sum_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) li: u32) {
  let block = grid_block(wid, nwg) * DIRECT_WG + li;
  if (block >= params.total) {
    return;
  }
  let start = block * DIRECT_BLOCK;
  let end = min(start + DIRECT_BLOCK, params.n);
  var s = 0.0;
  for (var i = start; i < end; i++) {
    s += term(x[i]);
  }
  out[block] = params.scale * s;
}

const COL_WG_X: u32 = 32u;
const COL_LANES: u32 = 8u;
const COL_ROWS_PER_THREAD: u32 = 16u;
const COL_BLOCK_ROWS: u32 = 128u; // COL_LANES × COL_ROWS_PER_THREAD

@compute @workgroup_size(32, 8)
fn col_sums_partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_id) lid: vec3<u32>) {
  let block = grid_block(wid, nwg);
  if (block >= params.total) {
    return;
  }
  let rows = params.n;
  let cols = params.cols;
  let at = col_block_slot(block, lid.x);
  let col = at.x;
  let row_block = at.y;
  let row0 = row_block * COL_BLOCK_ROWS + lid.y;
  var s = 0.0;
  if (col < cols) {
    for (var j = 0u; j < COL_ROWS_PER_THREAD; j++) {
      let r = row0 + j * COL_LANES;
      if (r < rows) {
        s += x[r * cols + col];
      }
    }
  }
  let slot = lid.y * COL_WG_X + lid.x;
  partial[slot] = s;
  workgroupBarrier();
  for (var lanes = COL_LANES / 2u; lanes > 0u; lanes = lanes / 2u) {
    if (lid.y < lanes) {
      partial[slot] += partial[slot + lanes * COL_WG_X];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && col < cols) {
    store_col_sum(row_block, col, partial[lid.x]);
  }
}

// Block `block` of the column sums covers 32 columns × COL_BLOCK_ROWS rows (the host's
// COL_BLOCK_COLS and COL_BLOCK_ROWS): its lane `lane` owns (column, row block).
fn col_block_slot(block: u32, lane: u32) -> vec2<u32> {
  return vec2<u32>((block % params.col_blocks) * COL_WG_X + lane, block / params.col_blocks);
}

// The sum of column `col` over row block `row_block`, scaled: stored at out[row_block, col],
// or with SGD applied as the gradient of parameter out[col] (final pass: one row block).
fn store_col_sum(row_block: u32, col: u32, sum: f32) {
  let idx = row_block * params.cols + col;
  let s = params.scale * sum;
  if (SGD) {
    out[idx] = sgd_step(out[idx], s, params.lr, params.wd);
  } else {
    out[idx] = s;
  }
}

@compute @workgroup_size(32)
fn col_sums_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) li: u32) {
  let block = grid_block(wid, nwg);
  if (block >= params.total) {
    return;
  }
  let rows = params.n;
  let cols = params.cols;
  let at = col_block_slot(block, li);
  let col = at.x;
  let row_block = at.y;
  if (col >= cols) {
    return;
  }
  let row0 = row_block * COL_BLOCK_ROWS;
  let row_end = min(row0 + COL_BLOCK_ROWS, rows);
  var s = 0.0;
  for (var r = row0; r < row_end; r++) {
    s += x[r * cols + col];
  }
  store_col_sum(row_block, col, s);
}
