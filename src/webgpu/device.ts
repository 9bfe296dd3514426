// Acquires the GPUDevice: the browser's navigator.gpu, or in Node Dawn's `webgpu` package.
// Requests the adapter's own values of the limits the engine needs (a device otherwise
// gets the low defaults: 128 MiB bindings, 8 storage buffers per stage) and summarises
// the adapter. Throws BackendUnavailableError when there is no WebGPU here.

import { BackendUnavailableError } from '../errors.js';
import { importNodeOnly, inNode } from '../node-only.js';
import { insecureContext } from '../secure-context.js';
import type { AdapterInfoSummary, EngineLimits } from '../types.js';

export interface AcquiredDevice {
  device: GPUDevice;
  /** true when we created the device (and so destroy it); false for a passed-in one. */
  owned: boolean;
  adapterInfo: AdapterInfoSummary | null;
  limits: EngineLimits;
}

const LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
] as const;

// Dawn for Node (webgpu 0.6.2) segfaults if the object returned by create() is garbage-
// collected while a device lives, so it is created once and kept for the process.
let dawnGpu: GPU | null = null;
let dawnLoading: Promise<GPU> | null = null;

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function loadDawn(): Promise<GPU> {
  let mod: DawnModule;
  try {
    mod = await importNodeOnly<DawnModule>('webgpu');
  } catch (err) {
    throw new BackendUnavailableError(`the native WebGPU module 'webgpu' could not be loaded (${errText(err)})`);
  }
  try {
    if ((globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage === undefined) {
      Object.assign(globalThis, mod.globals);
    }
    return mod.create([]);
  } catch (err) {
    throw new BackendUnavailableError(`the 'webgpu' module failed to start (${errText(err)})`);
  }
}

async function nodeGpu(): Promise<GPU> {
  if (dawnGpu !== null) return dawnGpu;
  dawnLoading ??= loadDawn();
  try {
    dawnGpu = await dawnLoading;
    return dawnGpu;
  } catch (err) {
    dawnLoading = null;
    throw err;
  }
}

/** The GPU entry point and where it came from (the advice on a missing adapter differs). */
async function findGpu(): Promise<{ gpu: GPU; browser: boolean }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, browser: !inNode() };
  if (inNode()) return { gpu: await nodeGpu(), browser: false };
  const insecure = insecureContext();
  throw new BackendUnavailableError(insecure ? `navigator.gpu is missing: ${insecure}` : 'this browser has no WebGPU (navigator.gpu is missing)');
}

function summarise(info: GPUAdapterInfo | undefined, fallback: boolean | undefined): AdapterInfoSummary {
  // Dawn's info object exposes getters on its prototype: copy each field explicitly.
  const i = (info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  return {
    vendor: String(i.vendor ?? ''),
    architecture: String(i.architecture ?? ''),
    device: String(i.device ?? ''),
    description: String(i.description ?? ''),
    isFallbackAdapter: Boolean(i.isFallbackAdapter ?? fallback ?? false),
  };
}

// The buffer limits are rounded down to 16 bytes: the pool makes every buffer a whole
// number of vec4s (src/webgpu/buffers.ts). Frozen, as the CPU backend's: engine.limits is
// this object, which the scheduler and the pool read (a write would lift the size checks).
function engineLimits(l: GPUSupportedLimits): EngineLimits {
  const whole16 = (bytes: number): number => Math.floor(bytes / 16) * 16;
  return Object.freeze({
    maxStorageBufferBindingSize: whole16(l.maxStorageBufferBindingSize),
    maxBufferSize: whole16(l.maxBufferSize),
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
  });
}

export async function acquireDevice(given?: GPUDevice): Promise<AcquiredDevice> {
  if (given !== undefined) {
    const info = (given as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return {
      device: given,
      owned: false,
      adapterInfo: info === undefined ? null : summarise(info, undefined),
      limits: engineLimits(given.limits),
    };
  }
  const { gpu, browser } = await findGpu();
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new BackendUnavailableError(`requestAdapter() failed (${errText(err)})`);
  }
  if (adapter === null) {
    // A browser page cannot install a driver: there the usual cause is WebGPU turned off or
    // blocklisted in the browser (Chromium on Linux: --enable-unsafe-webgpu).
    throw new BackendUnavailableError(
      browser
        ? 'no WebGPU adapter (navigator.gpu.requestAdapter() returned null: this browser has WebGPU turned off or blocklisted for this GPU, or no usable GPU; chrome://gpu or about:support says why)'
        : 'no WebGPU adapter (requestAdapter() returned null; is a Vulkan/Metal/D3D12 driver installed?)',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'sigmoid-core', requiredLimits });
  } catch (err) {
    throw new BackendUnavailableError(`requestDevice() failed (${errText(err)})`);
  }
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    device,
    owned: true,
    adapterInfo: summarise(adapter.info, legacyFallback),
    limits: engineLimits(device.limits),
  };
}
