// Why a peer's WebGPU backend cannot start here, in words a user can act on: the peers' own
// messages say only that they failed (jax-js) or how (TF.js reads a null adapter), so the
// reason is sigmoid-core's own, from the device acquisition its engine makes (src/webgpu/device.ts:
// an insecure context, no navigator.gpu, no adapter, a failed device, with browser or Node advice).
import { BackendUnavailableError, createEngine } from '../../src/index.js';

/** Why there is no WebGPU device here, or null when there is one. */
export async function webgpuAbsentReason(): Promise<string | null> {
  try {
    (await createEngine({ backend: 'webgpu', log: null })).destroy();
    return null;
  } catch (err) {
    return err instanceof BackendUnavailableError ? err.message : `WebGPU could not start (${String(err)})`;
  }
}
