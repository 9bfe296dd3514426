// common.wgsl — numerics shared by matmul.wgsl, elementwise.wgsl, gram.wgsl, reduce.wgsl
// and train.wgsl.
// WGSL has no #include: src/webgpu/shaders.ts prepends this file to each of them.
// No entry points. Every exp() here sees an argument in [-120, 0], so no input up to
// |x| = 3e38 (or ±inf after an f32 overflow) gives NaN or Inf, and huge inputs give
// exactly 0, 1 or ±1. The builtin tanh is never used (NaN for large |x| on some drivers).
// A NaN input gives NaN, as on the CPU backend: GPU min/max return their other operand
// when one is NaN (so exp(−min(|NaN|, 120)) would be 0), and WGSL lets a compiler assume
// no NaN exists, so a NaN is recognised from its bits (is_nan) and passed through.

// Activation codes of the ACT override constants (match src/webgpu/backend.ts).
const ACT_IDENTITY: u32 = 0u;
const ACT_SIGMOID: u32 = 1u;
const ACT_RELU: u32 = 2u;
const ACT_LEAKY_RELU: u32 = 3u;
const ACT_TANH: u32 = 4u;

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u;
}

// y, or x itself when x is NaN.
fn nan_through(x: f32, y: f32) -> f32 {
  return select(y, x, is_nan(x));
}

// y, or NaN when the sum s is ±Inf or NaN: the Gram kernels of a float32 sum that overflowed,
// which tanh, σ or exp would turn into a finite wrong value (tanh(+Inf) = 1 where the true sum
// is small). The NaN's bits come through a `let`, a run-time value: a constant NaN fails
// shader creation in WGSL.
fn nan_unless_finite(s: f32, y: f32) -> f32 {
  let nan_bits = 0x7fc00000u;
  return select(y, bitcast<f32>(nan_bits), !is_finite(s));
}

// σ(z) = 1/(1+e^{−z}) for z ≥ 0, e^{z}/(1+e^{z}) for z < 0, with e = exp(−|z|): one
// division, shared by both branches. sigmoid_of: any z but NaN (its caller checks for that).
fn sigmoid_of(z: f32) -> f32 {
  let e = exp(-min(abs(z), 120.0));
  let inv = 1.0 / (1.0 + e);
  return select(e * inv, inv, z >= 0.0);
}

fn safe_sigmoid(z: f32) -> f32 {
  return nan_through(z, sigmoid_of(z));
}

// tanh(z) = sign(z)·(1−e)/(1+e), e = exp(−2|z|); below |z| = 1/4, where 1 − e loses
// relative precision (tanh(1e-6) would be off by 1 %), its Taylor series to z⁹ (relative
// error < 1e-8). tanh_of: any z but NaN (its caller checks for that).
fn tanh_of(z: f32) -> f32 {
  let e = exp(-min(2.0 * abs(z), 120.0));
  let z2 = z * z;
  let series = z * (1.0 + z2 * (-1.0 / 3.0 + z2 * (2.0 / 15.0 + z2 * (-17.0 / 315.0 + z2 * (62.0 / 2835.0)))));
  return select(sign(z) * ((1.0 - e) / (1.0 + e)), series, abs(z) < 0.25);
}

fn safe_tanh(z: f32) -> f32 {
  return nan_through(z, tanh_of(z));
}

// exp(max(d, −120)), NaN for a NaN d: the softmax terms exp(p − row max).
fn exp_floor(d: f32) -> f32 {
  return nan_through(d, exp(max(d, -120.0)));
}

// One plain SGD step of parameter p with gradient g: p − lr·(g + wd·p). The rule of
// train.wgsl's sgd_update, applied where g is made by matmul.wgsl's EPI_SGD epilogue and
// reduce.wgsl's final column-sums pass.
fn sgd_step(p: f32, g: f32, lr: f32, wd: f32) -> f32 {
  return p - lr * (g + wd * p);
}

// act(x); `alpha` is the sigmoid scale (σ(α·x)), `slope` leakyRelu's negative slope.
fn apply_act(kind: u32, x: f32, alpha: f32, slope: f32) -> f32 {
  switch kind {
    case 1u: { return safe_sigmoid(alpha * x); }
    case 2u: { return nan_through(x, max(x, 0.0)); }
    case 3u: { return select(slope * x, x, x > 0.0); }
    case 4u: { return safe_tanh(x); }
    default: { return x; }
  }
}

// act'(x) written in terms of the saved output y = act(x).
fn act_grad_from_output(kind: u32, y: f32, alpha: f32, slope: f32) -> f32 {
  switch kind {
    case 1u: { return alpha * y * (1.0 - y); }
    case 2u: { return select(0.0, 1.0, y > 0.0); }
    case 3u: { return select(slope, 1.0, y > 0.0); }
    case 4u: { return (1.0 - y) * (1.0 + y); } // not 1 − y·y: that cancels as y → ±1
    default: { return 1.0; }
  }
}
