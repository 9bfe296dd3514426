// matmul.wgsl — C[m, n] = act(op(A)·op(B) + bias), the activation-gradient product and the
// fused Gram matrix K[i, j] = k(x_i, y_j) (EPILOGUE below), two entry points computing the
// same 64×64 tile of the output per workgroup (src/webgpu/tiling.ts picks one per adapter):
//   matmul         16×16 threads, 4×4 outputs each, K in steps of 16. Each step loads a
//                  64×16 tile of op(A) and a 16×64 tile of op(B) into workgroup memory,
//                  k-major, so the transposes are undone by the loads and the inner loop
//                  reads one vec4 of A and one vec4 of B for 16 multiply-adds. For GPUs.
//   matmul_direct  8×8 threads, 8×8 outputs each (rows lid.y + 8i, columns lid.x + 8j, so
//                  neighbouring threads touch neighbouring columns), reading A and B straight
//                  from storage: no workgroup memory and no barriers. For CPU-backed adapters
//                  (lavapipe, SwiftShader), where workgroup memory is ordinary memory and a
//                  barrier switches between coroutines; there it runs 2–4× faster than `matmul`.
// Override constants pick the variant: TRANS_A (A stored [k, m]), TRANS_B (B stored [n, k]),
// HAS_BIAS (add side[col]), ACT (0 identity, 1 sigmoid, 2 relu, 3 leakyRelu, 4 tanh), and
// EPILOGUE, what is done with each inner product v before it is stored:
//   0 (EPI_BIAS_ACT)  act(v + bias[col]), the bias bound as `side` [n]
//   1 (EPI_ACT_GRAD)  v · act'(y) from the saved activation output y = side[row, col] [m, n]
//                     (act_grad_from_output, as elementwise.wgsl's act_backward): the
//                     gradient through a dense layer and the activation below it
//   2 (EPI_GRAM)      the Gram kernel KERNEL of s = v, below
//   3 (EPI_SGD)       C is a parameter p updated in place by SGD with gradient v, as
//                     train.wgsl's sgd_update: common.wgsl's sgd_step, lr = e0, wd = e1
// Gram: A = X [n, d], B = Y [m, d] bound with TRANS_B, and the epilogue is the kernel
// KERNEL of s = ⟨x_i, y_j⟩ (γ = e0, c₀ = e1):
//   0 sigmoid     tanh(γ·s + c₀)
//   1 logistic    σ(γ·s + c₀)
//   2 linear      s
//   3 polynomial  (γ·s + c₀)^degree, integer degree by repeated squaring (pow() is
//                 undefined for negative bases in WGSL)
//   4 rbf         exp(−min(γ·‖x_i − y_j‖², 120)); the accumulator sums (a − b)² directly,
//                 more accurate than ‖x‖² + ‖y‖² − 2⟨x, y⟩, and huge distances give 0.
// A sum past float32's range gives NaN where k(·) would hide it (kernel_epilogue).
// The inner products (or squared distances) stay in registers and only k(·) is stored.
// Any m, n, k ≥ 1 works: loads outside A or B read 0 (a zero pair adds nothing to a
// product or a squared distance) or a clamped valid element whose output is not stored;
// stores outside C are skipped.
// The grid may be folded into 2-D (over 65535 workgroups): the tile index is linear.
// A long matmul or Gram is split into several dispatches (src/webgpu/backend.ts,
// dispatchLimits): each covers tiles tile_offset .. end_tile − 1 (the spare workgroups of a
// folded grid stop at end_tile: computing a tile of the next dispatch too would apply the
// SGD epilogue's in-place update twice) and computes them exactly as one dispatch would,
// so the split result is bit-identical.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACT: u32 = 0u;
override EPILOGUE: u32 = 0u;
override KERNEL: u32 = 0u;

const EPI_BIAS_ACT: u32 = 0u;
const EPI_ACT_GRAD: u32 = 1u;
const EPI_GRAM: u32 = 2u;
const EPI_SGD: u32 = 3u;

struct Params {
  m: u32,
  n: u32,
  k: u32,
  tiles_n: u32,     // number of 64-column tiles of C
  end_tile: u32,    // one past the last tile of this dispatch (a folded 2-D grid has spare
                    // workgroups, which must not compute the next dispatch's tiles)
  tile_offset: u32, // first tile of this dispatch
  degree: u32,      // Gram polynomial degree
  alpha: f32,       // sigmoid scale, multiplied by alpha_buf[0]
  slope: f32,       // leakyRelu slope
  e0: f32,          // Gram γ; SGD learning rate
  e1: f32,          // Gram c₀; SGD weight decay
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> side: array<f32>; // bias [n] or saved output y [m, n]
@group(0) @binding(4) var<storage, read> alpha_buf: array<f32>;
@group(0) @binding(5) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;
const TK: u32 = 16u;
// Row stride 17 vec4 (68 floats) instead of 16: the transposing stores of a row-major
// tile then hit different banks.
const STRIDE: u32 = 17u;

// tile_a[kk * STRIDE + r4][i] = op(A)[row0 + 4·r4 + i, k0 + kk]
var<workgroup> tile_a: array<vec4<f32>, 272>;
// tile_b[kk * STRIDE + c4][j] = op(B)[k0 + kk, col0 + 4·c4 + j]
var<workgroup> tile_b: array<vec4<f32>, 272>;

@compute @workgroup_size(16, 16)
fn matmul(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tile = wid.x + wid.y * nwg.x + params.tile_offset;
  if (tile >= params.end_tile) {
    return;
  }
  let m = params.m;
  let n = params.n;
  let k = params.k;
  let row0 = (tile / params.tiles_n) * TILE;
  let col0 = (tile % params.tiles_n) * TILE;

  var acc: array<vec4<f32>, 4>;
  let steps = (k + TK - 1u) / TK;
  for (var t = 0u; t < steps; t++) {
    let k0 = t * TK;
    // 1024 elements per tile, 4 per thread; consecutive threads read consecutive addresses.
    // Elements outside A or B load 0.
    for (var l = 0u; l < 4u; l++) {
      let sa = tile_slot(li + l * 256u, TRANS_A); // (row in tile, kk)
      var va = 0.0;
      if (row0 + sa.x < m && k0 + sa.y < k) {
        va = op_a(row0 + sa.x, k0 + sa.y);
      }
      tile_a[sa.y * STRIDE + sa.x / 4u][sa.x % 4u] = va;
      let sb = tile_slot(li + l * 256u, !TRANS_B); // (column in tile, kk)
      var vb = 0.0;
      if (col0 + sb.x < n && k0 + sb.y < k) {
        vb = op_b(k0 + sb.y, col0 + sb.x);
      }
      tile_b[sb.y * STRIDE + sb.x / 4u][sb.x % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let av = tile_a[kk * STRIDE + lid.y];
      let bv = tile_b[kk * STRIDE + lid.x];
      acc[0] += term(av.x, bv);
      acc[1] += term(av.y, bv);
      acc[2] += term(av.z, bv);
      acc[3] += term(av.w, bv);
    }
    workgroupBarrier();
  }

  let alpha = params.alpha * alpha_buf[0];
  let col_base = col0 + lid.x * 4u;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= m) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      let col = col_base + j;
      if (col < n) {
        store_c(row, col, acc[i][j], alpha);
      }
    }
  }
}

// Element idx (0..1023) of a 64×16 operand tile as (position along the 64 side, kk), read
// in storage order so consecutive threads load consecutive addresses: `k_outer` when the
// operand is stored with k as its outer index (A transposed, B not).
fn tile_slot(idx: u32, k_outer: bool) -> vec2<u32> {
  if (k_outer) {
    return vec2<u32>(idx % TILE, idx / TILE);
  }
  return vec2<u32>(idx / TK, idx % TK);
}

// What one k adds to the accumulators of row a against four columns bv: the product, or
// for the rbf Gram the squared difference.
fn term(a: f32, bv: vec4<f32>) -> vec4<f32> {
  if (EPILOGUE == EPI_GRAM && KERNEL == 4u) {
    let diff = a - bv;
    return diff * diff;
  }
  return a * bv;
}

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

// A float32 sum s that overflowed gives NaN for sigmoid and logistic (nan_unless_finite, in
// place of the NaN check the activations make: γ and c₀ are finite, so γ·s + c₀ is NaN only
// when s is), and for rbf unless γ·3.4e38 saturates exp(−γ·s) to 0 anyway (as
// src/kernels/float32-sums.ts, which refuses such data on the host before the kernel methods
// run); linear and polynomial carry the ±Inf or NaN themselves.
fn kernel_epilogue(s: f32) -> f32 {
  let g = params.e0;
  let c0 = params.e1;
  switch KERNEL {
    case 0u: { return nan_unless_finite(s, tanh_of(g * s + c0)); }
    case 1u: { return nan_unless_finite(s, sigmoid_of(g * s + c0)); }
    case 3u: { return int_pow(g * s + c0, params.degree); }
    case 4u: {
      let k = exp(-min(g * s, 120.0));
      return select(nan_through(s, k), nan_unless_finite(s, k), g * 3.4028234e38 < 110.0);
    }
    default: { return s; }
  }
}

// C[row, col] from the inner product v, per EPILOGUE: the epilogue of both entry points.
fn store_c(row: u32, col: u32, v: f32, alpha: f32) {
  let idx = row * params.n + col;
  switch EPILOGUE {
    case EPI_ACT_GRAD: { c[idx] = v * act_grad_from_output(ACT, side[idx], alpha, params.slope); }
    case EPI_GRAM: { c[idx] = kernel_epilogue(v); }
    case EPI_SGD: {
      c[idx] = sgd_step(c[idx], v, params.e0, params.e1);
    }
    default: {
      var z = v;
      if (HAS_BIAS) {
        z += side[col];
      }
      c[idx] = apply_act(ACT, z, alpha, params.slope);
    }
  }
}

fn op_a(row: u32, kk: u32) -> f32 {
  if (TRANS_A) {
    return a[kk * params.m + row];
  }
  return a[row * params.k + kk];
}

fn op_b(kk: u32, col: u32) -> f32 {
  if (TRANS_B) {
    return b[col * params.k + kk];
  }
  return b[kk * params.n + col];
}

@compute @workgroup_size(8, 8)
fn matmul_direct(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let tile = wid.x + wid.y * nwg.x + params.tile_offset;
  if (tile >= params.end_tile) {
    return;
  }
  let m = params.m;
  let n = params.n;
  let row0 = (tile / params.tiles_n) * TILE + lid.y;
  let col0 = (tile % params.tiles_n) * TILE + lid.x;
  // Rows past m and columns past n load a clamped (valid) element; their outputs are not stored.
  var r: array<u32, 8>;
  var cl: array<u32, 8>;
  for (var i = 0u; i < 8u; i++) {
    r[i] = min(row0 + 8u * i, m - 1u);
    cl[i] = min(col0 + 8u * i, n - 1u);
  }
  // acc[2i + j/4][j%4] is output (row0 + 8i, col0 + 8j). The rows are unrolled by hand: a
  // software driver keeps a loop over them, and indexing acc in a loop spills it to memory.
  var acc: array<vec4<f32>, 16>;
  // A tile whose columns 32..63 all lie past n (a 10-wide output layer, say) skips its
  // second column half (b1, acc[odd]) instead of computing outputs that are not stored.
  let narrow = (tile % params.tiles_n) * TILE + 32u >= n;
  for (var kk = 0u; kk < params.k; kk++) {
    let b0 = vec4<f32>(op_b(kk, cl[0]), op_b(kk, cl[1]), op_b(kk, cl[2]), op_b(kk, cl[3]));
    let a0 = op_a(r[0], kk); acc[0] += term(a0, b0);
    let a1 = op_a(r[1], kk); acc[2] += term(a1, b0);
    let a2 = op_a(r[2], kk); acc[4] += term(a2, b0);
    let a3 = op_a(r[3], kk); acc[6] += term(a3, b0);
    let a4 = op_a(r[4], kk); acc[8] += term(a4, b0);
    let a5 = op_a(r[5], kk); acc[10] += term(a5, b0);
    let a6 = op_a(r[6], kk); acc[12] += term(a6, b0);
    let a7 = op_a(r[7], kk); acc[14] += term(a7, b0);
    if (!narrow) {
      let b1 = vec4<f32>(op_b(kk, cl[4]), op_b(kk, cl[5]), op_b(kk, cl[6]), op_b(kk, cl[7]));
      acc[1] += term(a0, b1); acc[3] += term(a1, b1); acc[5] += term(a2, b1); acc[7] += term(a3, b1);
      acc[9] += term(a4, b1); acc[11] += term(a5, b1); acc[13] += term(a6, b1); acc[15] += term(a7, b1);
    }
  }

  let alpha = params.alpha * alpha_buf[0];
  for (var i = 0u; i < 8u; i++) {
    let row = row0 + 8u * i;
    if (row >= m) {
      break;
    }
    for (var j = 0u; j < 8u; j++) {
      let col = col0 + 8u * j;
      if (col < n) {
        store_c(row, col, acc[2u * i + j / 4u][j % 4u], alpha);
      }
    }
  }
}
