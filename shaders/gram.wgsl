// gram.wgsl — the projected-sigmoid Gram kernel σ(⟨x_i, α⟩ + ⟨y_j, β⟩ + γ) in two passes.
// (The other Gram kernels are matmul.wgsl with its Gram epilogue: one fused pass over K.)
//   gram_project    out[i] = ⟨x_i, w⟩ for i < n, X [n, d], with the weights w [d] bound as
//                   `y`; one thread per row, k in order (so a row gives the same bits
//                   whatever block of rows it is in).
//   gram_projected  from the two projections, bound as x = a [n] and y = b [m]:
//                   out[i, j] = σ(a_i + b_j + γ); four consecutive entries (one vec4 of
//                   the output, which is a whole number of vec4s: src/webgpu/buffers.ts)
//                   per thread, each with its own (i, j), so any m works. The last thread
//                   may write up to three padding floats past n·m, which no tensor sees.
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
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>; // gram_projected's view

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

// σ(a_i + b_j + γ) for entry e = i·m + j (i clamped for the padding past n·m); NaN when a
// projection overflowed float32 (nan_unless_finite: σ(±Inf) would be a finite wrong 0 or 1).
fn projected_entry(e: u32) -> f32 {
  let m = params.m;
  let i = min(e / m, params.n - 1u);
  let j = e % m;
  let a = x[i];
  let b = y[j];
  return nan_unless_finite(a, nan_unless_finite(b, sigmoid_of(a + b + params.gamma)));
}

@compute @workgroup_size(256)
fn gram_projected(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let q = (wid.x + wid.y * nwg.x) * 256u + li;
  if (q >= (params.n * params.m + 3u) / 4u) {
    return;
  }
  let e = 4u * q;
  out4[q] = vec4<f32>(projected_entry(e), projected_entry(e + 1u), projected_entry(e + 2u), projected_entry(e + 3u));
}
