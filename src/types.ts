// Public option and result types shared by the engine, both backends and the CLI.

export type BackendKind = 'webgpu' | 'cpu';
export type BackendChoice = BackendKind | 'auto';
/** Matmul/Gram kernel family of a WebGPU backend (src/webgpu/tiling.ts). */
export type Tiling = 'workgroup' | 'register';
/** 'auto': 'register' on CPU-backed adapters (lavapipe, SwiftShader), else 'workgroup'. */
export type TilingChoice = Tiling | 'auto';

/**
 * WebGPU's GPUDevice as the consumer's TypeScript knows it: GPUDevice where the WebGPU types
 * are declared (TypeScript 7's DOM lib, or @webgpu/types), and `object` where they are not
 * (TypeScript 5 and 6, a Node project without the DOM lib), so that the declarations of this
 * package compile either way without asking for a global types package.
 */
export type WebGPUDevice = typeof globalThis extends { GPUDevice: { prototype: infer D } } ? D : object;

/** A tensor shape: a vector [n] or a row-major matrix [rows, cols]. */
export type Shape = readonly [number] | readonly [number, number];

export type ActivationKind = 'sigmoid' | 'relu' | 'leakyRelu' | 'tanh' | 'identity';

export interface AdapterInfoSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for software/fallback adapters (SwiftShader, lavapipe). */
  isFallbackAdapter: boolean;
}

/**
 * The device limits the engine runs under (the CPU backend reports its own). On WebGPU the
 * two buffer sizes are the device's rounded down to 16 bytes: every buffer is a whole
 * number of vec4s. Read-only (a frozen object on both backends): the engine's size checks,
 * buffer pool and dispatch planning read this very object.
 */
export interface EngineLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupStorageSize: number;
}

export interface MemoryStats {
  /** Tensors created and not yet disposed. */
  liveTensors: number;
  /** Bytes held by live tensors (4 bytes per element). */
  liveBytes: number;
  /** Bytes held in the backend's pool of free buffers, ready for reuse. */
  pooledBytes: number;
  /** Number of free buffers in the pool. */
  pooledBuffers: number;
}

export type GramKernel = 'sigmoid' | 'logistic' | 'linear' | 'polynomial' | 'rbf' | 'projected-sigmoid';

export interface GramOptions {
  /**
   * Kernel function; default 'sigmoid' = tanh(γ⟨x,y⟩ + c₀). 'projected-sigmoid' is the
   * article's σ(αᵀx + βᵀy + γ) with σ the logistic function (needs `alpha` and `beta`).
   */
  kernel?: GramKernel;
  /**
   * γ; default 1/d (scikit-learn's default). Must be finite; > 0 for rbf. For
   * 'projected-sigmoid' γ is the additive bias inside σ and defaults to 0.
   */
  gamma?: number;
  /** c₀ for sigmoid, logistic and polynomial; default 1. */
  coef0?: number;
  /** Polynomial degree; default 3, an integer in 1..2³²−1. */
  degree?: number;
  /** α of 'projected-sigmoid': d finite weights applied to x (required there, refused elsewhere). */
  alpha?: readonly number[] | Float32Array;
  /** β of 'projected-sigmoid': d finite weights applied to y (required there, refused elsewhere). */
  beta?: readonly number[] | Float32Array;
}

/** The kernels of nystroem and KernelClassifier: all but 'projected-sigmoid', which is not symmetric. */
export type SymmetricGramKernel = Exclude<GramKernel, 'projected-sigmoid'>;

/** GramOptions of nystroem and KernelClassifier: a symmetric kernel, so no α or β. */
export interface SymmetricGramOptions extends Omit<GramOptions, 'kernel' | 'alpha' | 'beta'> {
  /** Kernel function; default 'sigmoid' = tanh(γ⟨x,y⟩ + c₀). */
  kernel?: SymmetricGramKernel;
}


export interface MatmulOptions {
  /** Use Aᵀ: A is stored as [k, m]. */
  transposeA?: boolean;
  /** Use Bᵀ: B is stored as [n, k]. */
  transposeB?: boolean;
}

/** Loss functions; the two cross-entropies take logits (the stable forms). */
export type LossKind = 'mse' | 'binaryCrossEntropy' | 'softmaxCrossEntropy';
