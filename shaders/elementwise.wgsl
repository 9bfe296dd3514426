// elementwise.wgsl — four elements per thread (one vec4), 256 threads per workgroup, grid
// possibly folded into 2-D (the vec4 index is computed from num_workgroups). Entry points:
//   act_forward       out[i] = act(x[i])                               (ACT override)
//   act_backward      dx[i] = dy[i] · act'(x) from the saved output y:  (ACT override)
//                     sigmoid α·y(1−y), relu [y>0], leakyRelu y>0 ? 1 : slope, tanh (1−y)(1+y), identity 1
//   sigmoid_backward  y = σ(α·x): dx[i] = dy·α·y(1−y), terms[i] = dy·x·y(1−y) (summed into dα)
//   binary            out[i] = a[i] (+ − ·) b[i]                       (OP override: 0 add, 1 sub, 2 mul)
//   scale             out[i] = s · x[i]
//   bias_add          out[r, c] = x[r, c] + bias[c]
//   fill              out[i] = value (any bit pattern, NaN included)
// The sigmoid scale is params.alpha · alpha_buf[0] (alpha_buf holds 1.0 for a plain number).
// Bindings: 0 params, 1–3 inputs, 4 alpha_buf, 5–6 outputs; each entry point uses a subset.
// Every element buffer holds n floats and is a whole number of vec4s (src/webgpu/buffers.ts
// rounds buffers to 16 bytes), so the last thread may also read and write up to three
// padding floats past n, which no tensor sees. Each component goes through the same
// arithmetic as in a one-element-per-thread kernel, with a quarter of the threads and one
// 16-byte load or store where there were four.

override ACT: u32 = 0u;
override OP: u32 = 0u;

struct Params {
  n: u32,
  cols: u32,      // bias_add: row length
  bits: u32,      // fill: the value's f32 bit pattern (a NaN survives a bit copy)
  _pad: u32,
  alpha: f32,     // sigmoid scale
  slope: f32,     // leakyRelu slope
  s: f32,         // scale factor
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> in0: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> in1: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> in2: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> alpha_buf: array<f32>;
@group(0) @binding(5) var<storage, read_write> out0: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> out1: array<vec4<f32>>;

const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;

// The thread's vec4 (elements 4i .. 4i + 3), or NONE past the last one.
fn quad(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
  let i = (wid.x + wid.y * nwg.x) * WG + lid.x;
  return select(NONE, i, i < (params.n + 3u) / 4u);
}

fn act4(x: vec4<f32>, alpha: f32) -> vec4<f32> {
  let s = params.slope;
  return vec4<f32>(apply_act(ACT, x.x, alpha, s), apply_act(ACT, x.y, alpha, s),
                   apply_act(ACT, x.z, alpha, s), apply_act(ACT, x.w, alpha, s));
}

fn act_grad4(y: vec4<f32>, alpha: f32) -> vec4<f32> {
  let s = params.slope;
  return vec4<f32>(act_grad_from_output(ACT, y.x, alpha, s), act_grad_from_output(ACT, y.y, alpha, s),
                   act_grad_from_output(ACT, y.z, alpha, s), act_grad_from_output(ACT, y.w, alpha, s));
}

// bias[e % cols] for element e; the bias [cols] is bound as in1, also whole vec4s.
fn bias_at(e: u32) -> f32 {
  let c = e % params.cols;
  return in1[c / 4u][c % 4u];
}

@compute @workgroup_size(256)
fn act_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let alpha = params.alpha * alpha_buf[0];
  out0[i] = act4(in0[i], alpha);
}

// in0 = dy, in1 = y, out0 = dx
@compute @workgroup_size(256)
fn act_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let alpha = params.alpha * alpha_buf[0];
  out0[i] = in0[i] * act_grad4(in1[i], alpha);
}

// in0 = dy, in1 = x, in2 = y, out0 = dx, out1 = terms
@compute @workgroup_size(256)
fn sigmoid_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let alpha = params.alpha * alpha_buf[0];
  let y = in2[i];
  let g = in0[i] * y * (1.0 - y);
  out0[i] = alpha * g;
  out1[i] = g * in1[i];
}

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let a = in0[i];
  let b = in1[i];
  switch OP {
    case 1u: { out0[i] = a - b; }
    case 2u: { out0[i] = a * b; }
    default: { out0[i] = a + b; }
  }
}

@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  out0[i] = params.s * in0[i];
}

// in0 = x [n / cols, cols], in1 = bias [cols]
@compute @workgroup_size(256)
fn bias_add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  let e = 4u * i;
  out0[i] = in0[i] + vec4<f32>(bias_at(e), bias_at(e + 1u), bias_at(e + 2u), bias_at(e + 3u));
}

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = quad(wid, nwg, lid);
  if (i == NONE) {
    return;
  }
  out0[i] = vec4<f32>(bitcast<f32>(params.bits));
}
