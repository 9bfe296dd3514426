// Support-vector classification: the SVC model, its SMO solver and the kernel row providers.

export { ConvergenceError, SVC } from './svc.js';
export { defaultMaxIter, solveBinary, type BinaryProblem, type BinarySolution, type SolveOptions } from './smo.js';
export type { KernelRow, KernelRowProvider, ProviderStats } from './provider.js';
export { EngineRowProvider } from './provider-engine.js';
export { Float64RowProvider } from './provider-f64.js';
export { RowCache } from './row-cache.js';
export { kernelAt, kernelDiagonal, kernelMatrixF64 } from './kernel-f64.js';
export { type KernelName, type KernelParams, resolveGamma, resolveSVCOptions, SVC_KERNELS } from './params.js';
export type { DecisionValues, SVCFitInfo, SVCKernel, SVCOptions, SVCProgress, SVCProviderKind } from './types.js';
