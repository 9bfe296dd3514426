// An SVC model as a safetensors file (SVC.save / SVC.load, the svm command's --save, predict):
//   support_vectors  F32 [nSV, d]  the support vectors (float32, as the model holds them)
// and in __metadata__ (every value a string; numbers as JSON, which round-trips a float64
// exactly, so the float64 coefficients are not rounded to the file's float32 tensors; JSON
// has no −0, which reads back as 0, the same in every sum):
//   format: "sigmoid-core-svc", format_version: "1",
//   options          the resolved SVCOptions (without the callbacks)
//   kernel           the kernel with γ resolved: { kernel, gamma, coef0, degree }
//   classes          the class values, ascending
//   n_support        support vectors per class
//   support_indices  their rows in the training X
//   dual_coef        libsvm's sv_coef [k−1, nSV], row-major (not negated for 2 classes)
//   rho              ρ per pair, libsvm's pair order
// Reading checks every field and throws a ValueError that names the one that is wrong.

import type { Matrix } from '../../data/matrix.js';
import { ValueError } from '../../errors.js';
import { encodeSafetensors, type SafetensorFile } from '../../nn/safetensors.js';
import { type KernelParams, type ResolvedSVCOptions, resolveSVCOptions, SVC_KERNELS } from './params.js';

export const SVC_FORMAT = 'sigmoid-core-svc';
export const SVC_FORMAT_VERSION = '1';

/** What an SVC file holds. */
export interface SavedSVC {
  options: ResolvedSVCOptions;
  kernel: KernelParams;
  classes: number[];
  nSupport: number[];
  supportIndices: Int32Array;
  supportVectors: Matrix;
  /** libsvm's sv_coef [k−1, nSV]. */
  coef: Float64Array;
  /** ρ per pair, libsvm order (0,1), (0,2), ..., (k−2, k−1). */
  rho: Float64Array;
}

export function encodeSVC(m: SavedSVC): Uint8Array {
  const sv = m.supportVectors;
  return encodeSafetensors([{ name: 'support_vectors', shape: [sv.rows, sv.cols], data: sv.data }], {
    format: SVC_FORMAT,
    format_version: SVC_FORMAT_VERSION,
    options: JSON.stringify(m.options),
    kernel: JSON.stringify(m.kernel),
    classes: JSON.stringify(m.classes),
    n_support: JSON.stringify(m.nSupport),
    support_indices: JSON.stringify(Array.from(m.supportIndices)),
    dual_coef: JSON.stringify(Array.from(m.coef)),
    rho: JSON.stringify(Array.from(m.rho)),
  });
}

/** True when safetensors __metadata__ says the file is an SVC model. */
export function isSVCFile(metadata: Record<string, string>): boolean {
  return metadata.format === SVC_FORMAT;
}

/** The model in a parsed safetensors file, every field checked. */
export function decodeSVC(file: SafetensorFile): SavedSVC {
  const meta = file.metadata;
  if (!isSVCFile(meta)) {
    throw new ValueError(`SVC.load: not an SVC model (__metadata__.format is ${JSON.stringify(meta.format ?? null)}, expected "${SVC_FORMAT}")`);
  }
  if (meta.format_version !== SVC_FORMAT_VERSION) {
    throw new ValueError(`SVC.load: __metadata__.format_version ${JSON.stringify(meta.format_version ?? null)} is not supported (this version reads "${SVC_FORMAT_VERSION}")`);
  }
  let options: ResolvedSVCOptions;
  try {
    options = resolveSVCOptions(field(meta, 'options') as Record<string, never>);
  } catch (err) {
    throw new ValueError(`SVC.load: __metadata__.options: ${(err as Error).message}`);
  }
  const kernel = kernelField(field(meta, 'kernel'));
  const classes = numbers(meta, 'classes');
  if (classes.length < 2 || classes.some((c, i) => i > 0 && !(c > classes[i - 1]!))) {
    throw new ValueError('SVC.load: __metadata__.classes must list at least 2 distinct class values in ascending order');
  }
  const k = classes.length;
  const nSupport = counts(meta, 'n_support', k);
  const nSV = nSupport.reduce((s, v) => s + v, 0);
  if (file.tensors.length !== 1 || file.tensors[0]!.name !== 'support_vectors') {
    throw new ValueError(`SVC.load: expected one tensor, support_vectors; the file has ${file.tensors.map((t) => t.name).join(', ') || 'none'}`);
  }
  const t = file.tensors[0]!;
  if (t.shape.length !== 2 || t.shape[0] !== nSV || !(t.shape[1]! >= 1)) {
    throw new ValueError(`SVC.load: support_vectors has shape [${t.shape.join(', ')}]; n_support says [${nSV}, d] with d ≥ 1`);
  }
  const bad = t.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ValueError(`SVC.load: support_vectors has a non-finite value (${t.data[bad]}) at entry ${bad}`);
  const supportIndices = Int32Array.from(counts(meta, 'support_indices', nSV));
  const coef = Float64Array.from(numbers(meta, 'dual_coef', (k - 1) * nSV));
  const rho = Float64Array.from(numbers(meta, 'rho', (k * (k - 1)) / 2));
  return { options, kernel, classes, nSupport, supportIndices, supportVectors: { rows: nSV, cols: t.shape[1]!, data: t.data }, coef, rho };
}

function field(meta: Record<string, string>, name: string): unknown {
  const text = meta[name];
  if (text === undefined) throw new ValueError(`SVC.load: __metadata__.${name} is missing`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValueError(`SVC.load: __metadata__.${name} is not valid JSON`);
  }
}

/** A list of finite numbers (of `length` when given). */
function numbers(meta: Record<string, string>, name: string, length?: number): number[] {
  const v = field(meta, name);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new ValueError(`SVC.load: __metadata__.${name} must be a list of finite numbers`);
  }
  if (length !== undefined && v.length !== length) {
    throw new ValueError(`SVC.load: __metadata__.${name} has ${v.length} values; the model's classes and support vectors need ${length}`);
  }
  return v as number[];
}

/** A list of `length` integers in 0..2³¹−1. */
function counts(meta: Record<string, string>, name: string, length: number): number[] {
  const v = numbers(meta, name, length);
  if (!v.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31)) throw new ValueError(`SVC.load: __metadata__.${name} must be non-negative integers`);
  return v;
}

function kernelField(v: unknown): KernelParams {
  const p = v as Partial<KernelParams> | null;
  const ok = p !== null && typeof p === 'object' && SVC_KERNELS.includes(p.kernel as never) && (p.kernel as string) !== 'poly' &&
    typeof p.gamma === 'number' && p.gamma > 0 && Number.isFinite(p.gamma) && typeof p.coef0 === 'number' && Number.isFinite(p.coef0) &&
    Number.isInteger(p.degree) && p.degree! >= 1;
  if (!ok) throw new ValueError('SVC.load: __metadata__.kernel must be { kernel, gamma > 0, coef0, degree ≥ 1 } with a known kernel');
  return { kernel: p.kernel!, gamma: p.gamma!, coef0: p.coef0!, degree: p.degree! };
}
