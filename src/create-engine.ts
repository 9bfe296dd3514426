// createEngine: picks and builds a backend. 'auto' takes WebGPU when an adapter exists
// (navigator.gpu in browsers, Dawn's `webgpu` package in Node) and otherwise the CPU,
// saying which in one line.

import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { type Engine, newEngine, setWebGPUBackendFactory } from './engine.js';
import { BackendUnavailableError, ValueError } from './errors.js';
import type { BackendChoice, TilingChoice, WebGPUDevice } from './types.js';
import { checkGPUDevice, checkOptionalFunction, optionalBoolean, optionKeys, optionsObject } from './validate.js';
import { createWebGPUBackend } from './webgpu/backend.js';
import { resolveTiling } from './webgpu/tiling.js';

export interface EngineOptions {
  /** 'auto' (default): WebGPU if an adapter exists, else the CPU. */
  backend?: BackendChoice;
  /** Use this GPUDevice as it is (implies WebGPU); the engine will not destroy it. */
  device?: WebGPUDevice;
  /** Where the one-line backend notice goes; default console.warn. Pass null for silence. */
  log?: ((line: string) => void) | null;
  /** Testing aid: fill every op output with NaN before the op runs, so unwritten elements show. */
  poisonOutputs?: boolean;
  /**
   * WebGPU matmul/Gram kernels: 'auto' (default) runs register-tiled kernels on CPU-backed
   * adapters (lavapipe, SwiftShader) and workgroup-tiled ones on hardware; the others force one.
   */
  tiling?: TilingChoice;
}

// engine.recover() builds a fresh WebGPU backend through this (a new device, or a given one).
setWebGPUBackendFactory((device, tiling) => createWebGPUBackend({ device, tiling }));

const ENGINE_KEYS = optionKeys<EngineOptions>()('backend', 'device', 'log', 'poisonOutputs', 'tiling');

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu'];

export async function createEngine(options?: EngineOptions): Promise<Engine> {
  const opts = optionsObject('createEngine', options, ENGINE_KEYS, "{ backend: 'cpu' }", ['log']);
  if (opts.device !== undefined) checkGPUDevice('device', opts.device);
  const choice = opts.backend ?? (opts.device ? 'webgpu' : 'auto');
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new ValueError(`backend must be 'auto', 'webgpu' or 'cpu', got ${JSON.stringify(choice)}`);
  }
  if (opts.device && choice === 'cpu') throw new ValueError(`a GPUDevice was passed with backend 'cpu'`);
  resolveTiling(opts.tiling, null); // fails on a bad choice whatever the backend
  const tiling = opts.tiling;
  const poisonOutputs = optionalBoolean('poisonOutputs', opts.poisonOutputs, false);
  checkOptionalFunction('log', opts.log, true);
  const log = opts.log === undefined ? (line: string) => console.warn(line) : opts.log;
  let backend: Backend;
  if (choice === 'cpu') {
    backend = new CpuBackend();
  } else if (choice === 'webgpu') {
    backend = await createWebGPUBackend({ device: opts.device, tiling });
  } else {
    try {
      backend = await createWebGPUBackend({ device: opts.device, tiling });
      const info = backend.adapterInfo;
      log?.(`sigmoid-core: WebGPU on ${info ? describeAdapter(info) : 'the given device'}`);
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      backend = new CpuBackend();
      log?.(`sigmoid-core: no WebGPU, running on the CPU: ${err.message}`);
    }
  }
  return newEngine(backend, { poisonOutputs, tiling });
}

/**
 * One line naming an adapter: its description when the driver gives one (Dawn: 'llvmpipe:
 * Mesa 25.0.7 (LLVM 15.0.6)'), else vendor, architecture and device (browsers often give only
 * these), then whether it is a software (fallback) or a hardware adapter.
 */
export function describeAdapter(info: {
  vendor: string; architecture: string; device?: string; description?: string; isFallbackAdapter: boolean;
}): string {
  const name = info.description?.trim() || [info.vendor, info.architecture, info.device].filter((s) => s).join(' ') || 'unknown adapter';
  return `${name}, ${info.isFallbackAdapter ? 'software (fallback) adapter' : 'hardware adapter'}`;
}
