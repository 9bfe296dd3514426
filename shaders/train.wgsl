// train.wgsl — training primitives. common.wgsl (safe_sigmoid) is prepended by
// src/webgpu/shaders.ts. Grids may be folded into 2-D (the linear workgroup index is
// computed from num_workgroups). Entry points:
//   gather_rows          one thread per output element: out[r, c] = src[idx[start + r], c];
//                        a row number that is not an integer in [0, src_rows) gives NaN
//                        (never a read outside src).
//   loss_grad            (LOSS override: 0 mse, 1 binary CE from logits, 2 softmax CE from
//                        logits) rowLoss[r] = Σ_c ℓ(pred[r,c], target[r,c]) and
//                        grad = scale · ∂ℓ/∂pred:
//                          mse   ℓ = (p − t)², ∂ = 2(p − t)
//                          bce   ℓ = max(p,0) − p·t + log1p(exp(−|p|)) (its limit at p = ±∞),
//                                ∂ = σ(p) − t, as (1 − t)·σ(p) − t·σ(−p)
//                          sce   ℓ_row = Σ_c t_c·((m − p_c) + log s), m = row max,
//                                s = Σ_c exp(p_c − m); ∂ = softmax(p)·Σt − t
//   count_correct        (KIND override: 0 binary, 1 multiclass) rowCorrect[r] =
//                        Σ_c [(p > 0) == (t > 0.5)], or [argmax p == argmax t] (first max wins);
//                        a NaN p or t is never correct (multiclass: the row is wrong)
//   softmax_rows         out[r, :] = exp(x − m) / Σ exp(x − m), m = row max
//   axpy_into            acc[start + i] += a · x[i]                        (in place)
//   sgd_update           g' = g + wd·p; p −= lr·g'                         (in place)
//   sgd_momentum_update  g' = g + wd·p; vel = momentum·vel + g'; p −= lr·vel (in place)
//   adam_update          g' = g + wd·p; m = β₁m + (1−β₁)g'; v = β₂v + (1−β₂)g'²;
//                        p −= lr·(m·c1) / (√v·√c2 + eps)                   (in place)
//                        The three optimizer updates take four elements (a vec4) per thread.
// Row ops (loss_grad, count_correct, softmax_rows) run 64 threads per workgroup; the WIDE
// override picks the layout: false (narrow rows) one thread per row, 64 rows per
// workgroup, serial loops over the columns; true one workgroup per row, each thread
// striding over the columns, then a 6-level tree in workgroup memory. The row helpers
// below are called from uniform control flow in both layouts (rows past the end only
// skip their loads and stores), so the same code serves both.
//
// Numerics: every exp() sees an argument in [−120, 0]; log(s) is computed as
// log1p(s − 1) with s − 1 = Σ over the columns other than the (first) max, and log1p of
// an argument in [0, 1] by the atanh series (no log near 1, whose absolute error WGSL
// only bounds by 2^−21), so small losses keep their relative precision and logits of any
// finite size give finite losses.
//
// Bindings: 0 params, 1–2 read-only inputs, 3–6 read-write outputs; each entry point
// uses a subset (the host binds exactly those).

override LOSS: u32 = 0u;
override KIND: u32 = 0u;
override WIDE: bool = false;

struct Params {
  n: u32,         // elementwise ops: elements; row ops: rows; gather_rows: count × cols
  cols: u32,      // row ops and gather_rows: row length
  start: u32,     // gather_rows: first index used; axpy_into: offset into acc
  src_rows: u32,  // gather_rows: rows of src
  nan_bits: u32,  // gather_rows, row ops: a quiet NaN's bits (a NaN cannot be a WGSL constant)
  a: f32,         // loss_grad: gradient scale; axpy_into: factor; optimizers: lr
  b1: f32,        // sgd: momentum; adam: β₁
  b2: f32,        // adam: β₂
  omb1: f32,      // adam: 1 − β₁ (computed in float64 on the host)
  omb2: f32,      // adam: 1 − β₂
  eps: f32,       // adam: ε
  wd: f32,        // optimizers: weight decay
  c1: f32,        // adam: 1 / (1 − β₁ᵗ)
  c2: f32,        // adam: 1 / (1 − β₂ᵗ)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> in0: array<f32>;
@group(0) @binding(2) var<storage, read> in1: array<f32>;
@group(0) @binding(3) var<storage, read_write> out0: array<f32>;
@group(0) @binding(4) var<storage, read_write> out1: array<f32>;
@group(0) @binding(5) var<storage, read_write> out2: array<f32>;
// The optimizer updates take four elements per thread (one vec4), like elementwise.wgsl;
// they bind the same slots as vec4 arrays (an entry point uses one view of each slot).
@group(0) @binding(1) var<storage, read> g4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> p4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> m4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> v4: array<vec4<f32>>;

const WG: u32 = 256u;     // elementwise workgroup
const ROW_WG: u32 = 64u;  // row-op workgroup
const NONE: u32 = 0xffffffffu;

fn element(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid.x;
}

// log(1 + r) for r ≥ 0. For r ≤ 1: 2·atanh(z) = 2z·(1 + w/3 + w²/5 + …), z = r/(2 + r) ≤ 1/3,
// w = z² ≤ 1/9; the first omitted term is below 2e-10 relative. Above 1, 1 + r ≥ 2 and
// log is accurate to a few ulp.
fn log1p_pos(r: f32) -> f32 {
  if (r > 1.0) {
    return log(1.0 + r);
  }
  let z = r / (2.0 + r);
  let w = z * z;
  let p = 1.0 + w * (1.0 / 3.0 + w * (1.0 / 5.0 + w * (1.0 / 7.0 + w * (1.0 / 9.0
    + w * (1.0 / 11.0 + w * (1.0 / 13.0 + w * (1.0 / 15.0 + w * (1.0 / 17.0))))))));
  return 2.0 * z * p;
}

// ---- row layout and reductions --------------------------------------------------------

struct RowSlot {
  row: u32,
  lane: u32,   // first column this thread visits
  lanes: u32,  // column stride
  valid: bool, // row < rows
}

fn row_slot(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> RowSlot {
  let g = wid.x + wid.y * nwg.x;
  var s: RowSlot;
  if (WIDE) {
    s.row = g;
    s.lane = lid.x;
    s.lanes = ROW_WG;
  } else {
    s.row = g * ROW_WG + lid.x;
    s.lane = 0u;
    s.lanes = 1u;
  }
  s.valid = s.row < params.n;
  return s;
}

// Loop bound of a slot: the row length, or 0 for a row past the end.
fn row_end(s: RowSlot) -> u32 {
  return select(0u, params.cols, s.valid);
}

var<workgroup> red_v: array<f32, 64>;
var<workgroup> red_i: array<u32, 64>;

// Σ of v over the threads of a row (WIDE), or v (narrow). Call from uniform control flow.
fn row_sum(v: f32, lane: u32) -> f32 {
  if (!WIDE) {
    return v;
  }
  red_v[lane] = v;
  workgroupBarrier();
  for (var stride = ROW_WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      red_v[lane] += red_v[lane + stride];
    }
    workgroupBarrier();
  }
  let r = red_v[0];
  workgroupBarrier();
  return r;
}

struct ArgMax {
  v: f32,
  i: u32, // NONE when the thread saw no column
}

// (b wins over a): a larger value, or an equal one at a smaller column.
fn beats(bv: f32, bi: u32, av: f32, ai: u32) -> bool {
  return bi != NONE && (ai == NONE || bv > av || (bv == av && bi < ai));
}

// The first maximum of this thread's columns of the row of in0 (pred, x) at `base`.
fn scan_argmax0(s: RowSlot, base: u32) -> ArgMax {
  var best = ArgMax(0.0, NONE);
  for (var c = s.lane; c < row_end(s); c += s.lanes) {
    let v = in0[base + c];
    if (best.i == NONE || v > best.v) {
      best = ArgMax(v, c);
    }
  }
  return best;
}

// The same over in1 (target). A separate function: a shared one would make every entry
// point that scans in0 bind in1 too (bindings are found by static use).
fn scan_argmax1(s: RowSlot, base: u32) -> ArgMax {
  var best = ArgMax(0.0, NONE);
  for (var c = s.lane; c < row_end(s); c += s.lanes) {
    let v = in1[base + c];
    if (best.i == NONE || v > best.v) {
      best = ArgMax(v, c);
    }
  }
  return best;
}

// The first maximum over the threads of a row (WIDE), or a (narrow). Uniform control flow.
fn row_argmax(a: ArgMax, lane: u32) -> ArgMax {
  if (!WIDE) {
    return a;
  }
  red_v[lane] = a.v;
  red_i[lane] = a.i;
  workgroupBarrier();
  for (var stride = ROW_WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      let ov = red_v[lane + stride];
      let oi = red_i[lane + stride];
      if (beats(ov, oi, red_v[lane], red_i[lane])) {
        red_v[lane] = ov;
        red_i[lane] = oi;
      }
    }
    workgroupBarrier();
  }
  let r = ArgMax(red_v[0], red_i[0]);
  workgroupBarrier();
  return r;
}

// ---- gather ---------------------------------------------------------------------------

// in0 = src [src_rows, cols], in1 = idx, out0 = out [count, cols]
@compute @workgroup_size(256)
fn gather_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = element(wid, nwg, lid);
  if (i >= params.n) {
    return;
  }
  let r = i / params.cols;
  let c = i % params.cols;
  let src_row = in1[params.start + r];
  // NaN fails every comparison, so it lands in the NaN branch too.
  if (src_row >= 0.0 && src_row < f32(params.src_rows) && floor(src_row) == src_row) {
    out0[i] = in0[u32(src_row) * params.cols + c];
  } else {
    out0[i] = bitcast<f32>(params.nan_bits);
  }
}

// ---- row ops ---------------------------------------------------------------------------

// in0 = pred, in1 = target, out0 = grad, out1 = rowLoss (each row's loss times scale = params.a, as the gradient)
@compute @workgroup_size(64)
fn loss_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = row_slot(wid, nwg, lid);
  let base = s.row * params.cols;
  let scale = params.a;
  var l = 0.0;
  if (LOSS == 2u) {
    let am = row_argmax(scan_argmax0(s, base), s.lane);
    let m = am.v;
    var r = 0.0;  // Σ exp(p_c − m) over c ≠ am.i, so s = 1 + r
    var ts = 0.0; // Σ t
    for (var c = s.lane; c < row_end(s); c += s.lanes) {
      if (c != am.i) {
        r += exp_floor(in0[base + c] - m);
      }
      ts += in1[base + c];
    }
    r = row_sum(r, s.lane);
    ts = row_sum(ts, s.lane);
    // A row max of ±Inf or NaN makes the row NaN, as on the CPU (Inf − Inf in the max's own
    // term, which r leaves out).
    if (!is_finite(m)) {
      r = bitcast<f32>(params.nan_bits);
    }
    let denom = 1.0 + r;
    let log_s = log1p_pos(r);
    for (var c = s.lane; c < row_end(s); c += s.lanes) {
      let p = in0[base + c];
      let t = in1[base + c];
      let e = exp_floor(p - m);
      out0[base + c] = scale * ((e / denom) * ts - t);
      // A zero target adds exactly 0 (its term may be Inf·0); a NaN target adds NaN, as on the
      // CPU: is_nan, since a compiler that assumes no NaN may take t != 0 as false for one.
      if (t != 0.0 || is_nan(t)) {
        l += scale * (t * ((m - p) + log_s));
      }
    }
  } else {
    for (var c = s.lane; c < row_end(s); c += s.lanes) {
      let p = in0[base + c];
      let t = in1[base + c];
      if (LOSS == 0u) {
        let d = p - t;
        l += (scale * d) * d; // scaled term by term: a mean float32 holds may have an Inf sum
        out0[base + c] = (2.0 * scale) * d; // 2·d alone would overflow for |d| > 1.7e38
      } else {
        // max(p,0) − p·t written without cancellation: |p|·w, w = 1 − t for p ≥ 0, t below.
        // A zero w gives 0, the limit, also for p = ±∞ (where |p|·w would be ∞·0 = NaN); a
        // NaN p or t passes through (by its bits: a compiler may assume no NaN).
        let w = select(t, 1.0 - t, p >= 0.0);
        let lin = nan_through(p, nan_through(t, select(abs(p) * w, 0.0, w == 0.0)));
        let e = exp(-min(abs(p), 120.0));
        l += scale * (lin + log1p_pos(e));
        // ∂ = σ(p) − t as (1 − t)·σ(p) − t·σ(−p), exact for t ∈ {0, 1}: σ(p) rounds to 1
        // beyond p ≈ 17, and σ(p) − 1 to 0, where −σ(−p) is representable. σ(±p) share e
        // (safe_sigmoid's form).
        let inv = 1.0 / (1.0 + e);
        let sig_p = select(e * inv, inv, p >= 0.0);
        let sig_neg_p = select(inv, e * inv, p >= 0.0);
        out0[base + c] = scale * nan_through(p, (1.0 - t) * sig_p - t * sig_neg_p);
      }
    }
  }
  l = row_sum(l, s.lane);
  if (s.valid && s.lane == 0u) {
    out1[s.row] = l;
  }
}

// in0 = pred, in1 = target, out0 = rowCorrect
@compute @workgroup_size(64)
fn count_correct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = row_slot(wid, nwg, lid);
  let base = s.row * params.cols;
  var n = 0.0;
  if (KIND == 0u) {
    for (var c = s.lane; c < row_end(s); c += s.lanes) {
      let p = in0[base + c];
      let t = in1[base + c];
      // A NaN prediction or target is never correct (by its bits: (NaN > 0) == (t > 0.5)
      // would hold for every t ≤ 0.5, and a compiler may assume no NaN).
      if (!is_nan(p) && !is_nan(t) && (p > 0.0) == (t > 0.5)) {
        n += 1.0;
      }
    }
    n = row_sum(n, s.lane);
  } else {
    // A NaN anywhere in the row's prediction or target makes the row wrong: the argmax
    // scans do not order NaN (nor does the CPU's), so their answer would depend on layout.
    var nans = 0.0;
    for (var c = s.lane; c < row_end(s); c += s.lanes) {
      if (is_nan(in0[base + c]) || is_nan(in1[base + c])) {
        nans += 1.0;
      }
    }
    nans = row_sum(nans, s.lane);
    let ap = row_argmax(scan_argmax0(s, base), s.lane);
    let at = row_argmax(scan_argmax1(s, base), s.lane);
    n = select(0.0, 1.0, ap.i == at.i && nans == 0.0);
  }
  if (s.valid && s.lane == 0u) {
    out0[s.row] = n;
  }
}

// in0 = x, out0 = out
@compute @workgroup_size(64)
fn softmax_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = row_slot(wid, nwg, lid);
  let base = s.row * params.cols;
  let m = row_argmax(scan_argmax0(s, base), s.lane).v;
  var sum = 0.0;
  for (var c = s.lane; c < row_end(s); c += s.lanes) {
    sum += exp_floor(in0[base + c] - m);
  }
  sum = row_sum(sum, s.lane);
  for (var c = s.lane; c < row_end(s); c += s.lanes) {
    out0[base + c] = exp_floor(in0[base + c] - m) / sum;
  }
}

// ---- in-place updates ------------------------------------------------------------------

// in0 = x, out0 = acc
@compute @workgroup_size(256)
fn axpy_into(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = element(wid, nwg, lid);
  if (i >= params.n) {
    return;
  }
  out0[params.start + i] = out0[params.start + i] + params.a * in0[i];
}

// The thread's vec4 (elements 4i .. 4i + 3) of an optimizer update, or NONE past the last.
fn quad(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  let i = element(wid, nwg, lid);
  return select(NONE, i, i < (params.n + 3u) / 4u);
}

// g4 = g, p4 = p
@compute @workgroup_size(256)
fn sgd_update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let p = p4[i];
  let g = g4[i] + params.wd * p;
  p4[i] = p - params.a * g;
}

// g4 = g, p4 = p, m4 = vel
@compute @workgroup_size(256)
fn sgd_momentum_update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                       @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let p = p4[i];
  let g = g4[i] + params.wd * p;
  let v = params.b1 * m4[i] + g;
  m4[i] = v;
  p4[i] = p - params.a * v;
}

// g4 = g, p4 = p, m4 = m, v4 = v
@compute @workgroup_size(256)
fn adam_update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let p = p4[i];
  let g = g4[i] + params.wd * p;
  let m = params.b1 * m4[i] + params.omb1 * g;
  // (1 − β₂)·g·g and √v·√c2 in this order: g² or v·c2 alone overflows for |g| > 1.8e19.
  let v = params.b2 * v4[i] + (params.omb2 * g) * g;
  m4[i] = m;
  v4[i] = v;
  p4[i] = p - params.a * (m * params.c1) / (sqrt(v) * sqrt(params.c2) + vec4<f32>(params.eps));
}
