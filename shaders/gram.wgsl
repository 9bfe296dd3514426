// gram.wgsl — the projected-sigmoid Gram kernel σ(⟨x_i, α⟩ + ⟨y_j, β⟩ + γ) in two passes.
// (The other Gram kernels are matmul.wgsl with its Gram epilogue: one fused pass over K.)
//   gram_project    out[i] = ⟨x_i, w⟩ for i < n, X [n, d], with the weights w [d] bound as
//                   `y`; one thread per row, k in order (so a row gives the same bits
//                   whatever block of rows it is in).
//   gram_projected  from the two projections, bound as x = a [n] and y = b [m]:
//                   out[i, j] = σ(a_i + b_j + γ); one thread per entry.
// The grid may be folded into 2-D (the index is linear).

struct Params {
  n: u32,
  m: u32,
  d: u32,
  gamma: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

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
