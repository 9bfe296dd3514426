// Why a peer's WebGPU backend cannot start here, in words a user can act on: the peers'
// own messages say only that they failed (jax-js) or how (TF.js reads a null adapter).

/** Why this page or process has no WebGPU adapter, or null when it has one. */
export async function webgpuAbsentReason(): Promise<string | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) return 'this browser exposes no WebGPU (navigator.gpu is missing)';
  if ((await gpu.requestAdapter().catch(() => null)) !== null) return null;
  return 'navigator.gpu.requestAdapter() gives no adapter here (WebGPU is off: Chromium on Linux needs --enable-unsafe-webgpu)';
}
