// Which matmul/Gram kernels a WebGPU device runs. Both compute the same 64×64 output tile
// per workgroup (shaders/matmul.wgsl, which also computes the fused Gram matrix):
//   'workgroup'  operand tiles staged in workgroup memory between barriers — the usual
//                GPU design, kept for hardware adapters;
//   'register'   8×8 outputs per thread read straight from storage, no workgroup memory
//                and no barriers. On CPU-backed adapters (lavapipe, SwiftShader) workgroup
//                memory is plain memory and each barrier switches coroutines, so this runs
//                1.9–4.7× faster there (bench/README.md); it is never picked for a hardware
//                adapter by 'auto', whose kernels were not tuned on such a driver.

import { ValueError } from '../errors.js';
import type { AdapterInfoSummary, Tiling, TilingChoice } from '../types.js';

export const TILING_CHOICES: readonly TilingChoice[] = ['auto', 'workgroup', 'register'];

/** The adapter runs on the CPU: a fallback adapter, or one whose name says so. */
export function isCpuBackedAdapter(info: AdapterInfoSummary | null): boolean {
  if (info === null) return false;
  return info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.device} ${info.description}`);
}

export function resolveTiling(choice: TilingChoice | undefined, info: AdapterInfoSummary | null): Tiling {
  const c = choice ?? 'auto';
  if (!TILING_CHOICES.includes(c)) {
    throw new ValueError(`tiling must be 'auto', 'workgroup' or 'register', got ${JSON.stringify(c)}`);
  }
  if (c !== 'auto') return c;
  return isCpuBackedAdapter(info) ? 'register' : 'workgroup';
}

/** Entry points of the two families in matmul.wgsl (matmul and Gram) and reduce.wgsl. */
export function matmulEntry(t: Tiling): string {
  return t === 'register' ? 'matmul_direct' : 'matmul';
}

/** Column sums (reduce.wgsl): the barrier-free variant goes with the register family. */
export function colSumsEntry(t: Tiling): string {
  return t === 'register' ? 'col_sums_direct' : 'col_sums_partial';
}

/**
 * Sums (reduce.wgsl), one pass: the entry point, the elements each block sums, and the
 * blocks each workgroup covers (sum_partial: 1024 per 256-thread workgroup; sum_direct:
 * 64 per thread, 64 threads per workgroup).
 */
export function sumPass(t: Tiling): { entry: string; block: number; blocksPerWorkgroup: number } {
  return t === 'register'
    ? { entry: 'sum_direct', block: 64, blocksPerWorkgroup: 64 }
    : { entry: 'sum_partial', block: 1024, blocksPerWorkgroup: 1 };
}
