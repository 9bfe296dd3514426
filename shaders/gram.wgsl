// gram.wgsl — fused Gram matrix K[i, j] = k(x_i, y_j), X [n, d], Y [m, d], K [n, m].
// Four entry points:
//   gram         tiled like matmul.wgsl: a 64×64 tile of K per 16×16 workgroup, 4×4 outputs
//                per thread, d in steps of 16 with X and Yᵀ tiles in workgroup memory. The
//                inner products (or squared distances) stay in registers and only k(·) is
//                stored.
//   gram_direct  the same 64×64 tile per 8×8 workgroup, 8×8 outputs per thread (rows lid.y + 8i,
//                columns lid.x + 8j), X and Y read
//                straight from storage (no workgroup memory, no barriers): for CPU-backed
//                adapters, like matmul_direct (src/webgpu/tiling.ts picks one).
// Override KERNEL picks the epilogue, s = ⟨x_i, y_j⟩:
//   0 sigmoid     tanh(γ·s + c₀)
//   1 logistic    σ(γ·s + c₀)
//   2 linear      s
//   3 polynomial  (γ·s + c₀)^degree, integer degree by repeated squaring (pow() is
//                 undefined for negative bases in WGSL)
//   4 rbf         exp(−min(γ·‖x_i − y_j‖², 120)); the accumulator sums (a − b)² directly,
//                 more accurate than ‖x‖² + ‖y‖² − 2⟨x, y⟩, and huge distances give 0.
// Any n, m, d ≥ 1 works; the grid may be folded into 2-D (the tile index is linear).
// Long Gram matrices are split into dispatches of tiles tile_offset.. (bit-identical).
//   gram_project    the projected-sigmoid pre-pass: out[i] = ⟨x_i, w⟩ for i < n, with the
//                   weights w [d] bound as `y`; one thread per row, k in order (so a row
//                   gives the same bits whatever block of rows it is in).
//   gram_projected  the projected-sigmoid kernel from the two projections, bound as x = a [n]
//                   and y = b [m]: out[i, j] = σ(a_i + b_j + γ); one thread per entry.

override KERNEL: u32 = 0u;

struct Params {
  n: u32,
  m: u32,
  d: u32,
  tiles_m: u32,     // number of 64-column tiles of K
  total_tiles: u32,
  degree: u32,
  tile_offset: u32, // gram: first tile of this dispatch
  gamma: f32,
  coef0: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE: u32 = 64u;
const TK: u32 = 16u;
const STRIDE: u32 = 17u; // padded row stride in vec4, see matmul.wgsl

// tile_x[kk * STRIDE + r4][i] = X[row0 + 4·r4 + i, k0 + kk]
var<workgroup> tile_x: array<vec4<f32>, 272>;
// tile_y[kk * STRIDE + c4][j] = Y[col0 + 4·c4 + j, k0 + kk]
var<workgroup> tile_y: array<vec4<f32>, 272>;

fn int_pow(base: f32, degree: u32) -> f32 {
  var result = 1.0;
  var b = base;
  var e = degree;
  loop {
    if ((e & 1u) != 0u) {
      result *= b;
    }
    e = e >> 1u;
    if (e == 0u) {
      break;
    }
    b *= b;
  }
  return result;
}

fn kernel_epilogue(s: f32) -> f32 {
  let g = params.gamma;
  let c0 = params.coef0;
  switch KERNEL {
    case 0u: { return safe_tanh(g * s + c0); }
    case 1u: { return safe_sigmoid(g * s + c0); }
    case 3u: { return int_pow(g * s + c0, params.degree); }
    case 4u: { return exp(-min(g * s, 120.0)); }
    default: { return s; }
  }
}

// What one feature adds to the accumulators of x_i against four y_j: the product, or for
// rbf the squared difference.
fn term(xi: f32, yv: vec4<f32>) -> vec4<f32> {
  if (KERNEL == 4u) {
    let diff = xi - yv;
    return diff * diff;
  }
  return xi * yv;
}

@compute @workgroup_size(16, 16)
fn gram(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tile = wid.x + wid.y * nwg.x + params.tile_offset;
  if (tile >= params.total_tiles) {
    return;
  }
  let n = params.n;
  let m = params.m;
  let d = params.d;
  let row0 = (tile / params.tiles_m) * TILE;
  let col0 = (tile % params.tiles_m) * TILE;

  var acc: array<vec4<f32>, 4>;
  let steps = (d + TK - 1u) / TK;
  for (var t = 0u; t < steps; t++) {
    let k0 = t * TK;
    // Both operands are row-major with d contiguous: 16 consecutive threads read one row's
    // 16 features. Padding (rows past n or m, features past d) loads 0 on both sides, so
    // it adds nothing to either a dot product or a squared distance.
    for (var l = 0u; l < 4u; l++) {
      let idx = li + l * 256u;
      let r = idx / TK;
      let kk = idx % TK;
      let gk = k0 + kk;
      let gx = row0 + r;
      var vx = 0.0;
      if (gx < n && gk < d) {
        vx = x[gx * d + gk];
      }
      tile_x[kk * STRIDE + r / 4u][r % 4u] = vx;
      let gy = col0 + r;
      var vy = 0.0;
      if (gy < m && gk < d) {
        vy = y[gy * d + gk];
      }
      tile_y[kk * STRIDE + r / 4u][r % 4u] = vy;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let xv = tile_x[kk * STRIDE + lid.y];
      let yv = tile_y[kk * STRIDE + lid.x];
      acc[0] += term(xv.x, yv);
      acc[1] += term(xv.y, yv);
      acc[2] += term(xv.z, yv);
      acc[3] += term(xv.w, yv);
    }
    workgroupBarrier();
  }

  let col_base = col0 + lid.x * 4u;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= n) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      let col = col_base + j;
      if (col < m) {
        out[row * m + col] = kernel_epilogue(acc[i][j]);
      }
    }
  }
}

@compute @workgroup_size(8, 8)
fn gram_direct(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let tile = wid.x + wid.y * nwg.x + params.tile_offset;
  if (tile >= params.total_tiles) {
    return;
  }
  let n = params.n;
  let m = params.m;
  let d = params.d;
  let row0 = (tile / params.tiles_m) * TILE + lid.y;
  let col0 = (tile % params.tiles_m) * TILE + lid.x;
  // Start of each row of X and Y; rows past n or m read a clamped (valid) row, not stored.
  var xr: array<u32, 8>;
  var yr: array<u32, 8>;
  for (var i = 0u; i < 8u; i++) {
    xr[i] = min(row0 + 8u * i, n - 1u) * d;
    yr[i] = min(col0 + 8u * i, m - 1u) * d;
  }
  // acc[2i + j/4][j%4] is K(row0 + 8i, col0 + 8j); rows unrolled by hand as in matmul_direct.
  var acc: array<vec4<f32>, 16>;
  for (var k = 0u; k < d; k++) {
    let y0 = vec4<f32>(y[yr[0] + k], y[yr[1] + k], y[yr[2] + k], y[yr[3] + k]);
    let y1 = vec4<f32>(y[yr[4] + k], y[yr[5] + k], y[yr[6] + k], y[yr[7] + k]);
    let x0 = x[xr[0] + k]; acc[0] += term(x0, y0); acc[1] += term(x0, y1);
    let x1 = x[xr[1] + k]; acc[2] += term(x1, y0); acc[3] += term(x1, y1);
    let x2 = x[xr[2] + k]; acc[4] += term(x2, y0); acc[5] += term(x2, y1);
    let x3 = x[xr[3] + k]; acc[6] += term(x3, y0); acc[7] += term(x3, y1);
    let x4 = x[xr[4] + k]; acc[8] += term(x4, y0); acc[9] += term(x4, y1);
    let x5 = x[xr[5] + k]; acc[10] += term(x5, y0); acc[11] += term(x5, y1);
    let x6 = x[xr[6] + k]; acc[12] += term(x6, y0); acc[13] += term(x6, y1);
    let x7 = x[xr[7] + k]; acc[14] += term(x7, y0); acc[15] += term(x7, y1);
  }

  for (var i = 0u; i < 8u; i++) {
    let row = row0 + 8u * i;
    if (row >= n) {
      break;
    }
    for (var j = 0u; j < 8u; j++) {
      let col = col0 + 8u * j;
      if (col < m) {
        out[row * m + col] = kernel_epilogue(acc[2u * i + j / 4u][j % 4u]);
      }
    }
  }
}

@compute @workgroup_size(256)
fn gram_project(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let i = (wid.x + wid.y * nwg.x) * 256u + li;
  if (i >= params.n) {
    return;
  }
  let d = params.d;
  let base = i * d;
  var s = 0.0;
  for (var k = 0u; k < d; k++) {
    s += x[base + k] * y[k];
  }
  out[i] = s;
}

@compute @workgroup_size(256)
fn gram_projected(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let idx = (wid.x + wid.y * nwg.x) * 256u + li;
  let m = params.m;
  if (idx >= params.n * m) {
    return;
  }
  let i = idx / m;
  let j = idx - i * m;
  out[idx] = safe_sigmoid(x[i] + y[j] + params.gamma);
}
