// Argument checks shared by the engine, models and the CLI: each throws a typed error
// whose message names the argument, the value, and what was expected.

import { LimitError, ShapeError, ValueError } from './errors.js';
import type { Shape } from './types.js';

export function fmtShape(shape: Shape | readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Largest finite float32. */
export const MAX_FLOAT32 = 3.4028234663852886e38;

/** Smallest normal float32: GPUs may flush smaller magnitudes (subnormals) to 0. */
export const MIN_NORMAL_FLOAT32 = 1.1754943508222875e-38;

/**
 * A finite number that float32 (what the kernels compute in) can also hold: within its
 * range, and 0 or at least its smallest normal in magnitude (the CPU would use a tiny value,
 * a GPU 0: e.g. adam eps 1e-46 gave NaN weights on WebGPU only).
 */
export function checkFinite(name: string, value: number, positive: boolean | 'nonzero' = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${name} must be a finite number, got ${describeValue(value)}`);
  }
  if (Math.abs(value) > MAX_FLOAT32) {
    throw new ValueError(`${name} must be within the float32 range (|x| ≤ 3.4e38), got ${value}`);
  }
  if (value !== 0 && Math.abs(value) < MIN_NORMAL_FLOAT32) {
    // `positive`: the caller refuses 0 too (rbf's γ, a learning rate; 'nonzero': train's --alpha,
    // which may be negative), so the message does not offer it.
    const allowed = positive === true ? 'at least 1.2e-38' : positive === 'nonzero' ? 'at least 1.2e-38 in magnitude' : '0 or at least 1.2e-38 in magnitude';
    throw new ValueError(
      `${name} must be ${allowed} ` +
        `(float32's smallest normal number; a GPU may round less to 0), got ${value}`,
    );
  }
}

/** Throws `${where}: ${name} element i is v (not finite)${why}` for the first NaN/±Inf entry of `data`. */
export function checkFiniteEntries(where: string, name: string, data: ArrayLike<number>, why = ''): void {
  const bad = Array.prototype.findIndex.call(data, (v: number) => !Number.isFinite(v));
  if (bad >= 0) throw new ValueError(`${where}: ${name} element ${bad} is ${data[bad]} (not finite)${why}`);
}

/** A hyper-parameter: checkFinite, then in [lo, hi) (hi = Infinity: unbounded). */
export function checkInRange(name: string, value: number, lo: number, hi: number): void {
  checkFinite(name, value);
  if (value < lo || value >= hi) {
    throw new ValueError(`${name} must be in [${lo}, ${hi === Infinity ? '∞' : hi}), got ${value}`);
  }
}

/** A hyper-parameter that must be > 0 (a learning rate, eps): checkFinite, then positive. */
export function checkPositive(name: string, value: number): void {
  checkFinite(name, value, true);
  if (!(value > 0)) throw new ValueError(`${name} must be > 0, got ${value}`);
}

/**
 * Throws a LimitError when a tensor of `shape` would need more than `maxBytes` bytes (the
 * backend's maxBufferSize), before any host or device memory is allocated for it.
 */
export function checkTensorBytes(what: string, shape: readonly number[], maxBytes: number): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size * 4 > maxBytes) {
    throw new LimitError(
      `${what} of shape ${fmtShape(shape)} needs ${size * 4} bytes, over this engine's maxBufferSize of ${maxBytes} bytes; ` +
        'use smaller tensors (or stream in tiles: gramTiles)',
    );
  }
}

export function checkPositiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ValueError(`${name} must be a positive integer, got ${describeValue(value)}`);
  }
}

/** Validates a user-given shape: 1 or 2 positive integer dimensions. */
export function checkShape(shape: readonly number[]): Shape {
  if (!Array.isArray(shape) || (shape.length !== 1 && shape.length !== 2)) {
    throw new ShapeError(`shape must be [n] or [rows, cols], got ${JSON.stringify(shape)}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) {
      throw new ShapeError(`shape dimensions must be positive integers, got ${fmtShape(shape)}`);
    }
  }
  return shape.length === 1 ? [shape[0]!] : [shape[0]!, shape[1]!];
}

/**
 * A value as an error message shows it: null, undefined, numbers and booleans as they
 * are, a bigint with its n, strings quoted (cut after 40 characters), 'an array', 'a Float64Array', 'a function',
 * 'an object'.
 */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v}n`; // "label 0 is 0, not a finite number" read as nonsense
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * The options argument of a public entry point: {} for undefined, else it must be an object
 * (not null, an array, a string, a number or a function) holding only the option names in
 * `keys` (a misspelt one would otherwise be ignored without a word): a ValueError names
 * `what`, e.g. "fit options must be an object, got null" or "fit options: unknown option
 * 'epoch' (did you mean 'epochs'?) …". An option set to null is refused too (left out, it
 * takes its default; null taking the default for some options and failing for others was a
 * trap), except those in `nullable`, whose null means something. Required fields are left to
 * the caller's checks.
 */
export function optionsObject<T extends object>(
  what: string, value: T | undefined, keys: OptionKeys, example?: string, nullable: OptionKeys = [],
): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValueError(`${what} options must be an object${example === undefined ? '' : ` like ${example}`}, got ${describeValue(value)}`);
  }
  for (const k of Object.keys(value)) {
    if (keys.includes(k)) continue;
    const near = closestKey(k, keys);
    throw new ValueError(
      `${what} options: unknown option ${JSON.stringify(k)}${near === null ? '' : ` (did you mean ${JSON.stringify(near)}?)`}; ` +
        (keys.length === 0 ? 'it takes none' : `the options are ${keys.join(', ')}`),
    );
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === null && !nullable.includes(k)) throw new ValueError(`${what} options: ${k} is null; leave it out for its default`);
  }
  return value;
}

/** The option names a function takes (see optionKeys). */
export type OptionKeys = readonly string[];

type MissingKeys<T, K> = Exclude<keyof T, K>;

/**
 * The option names of an options type T, listed once beside the function that takes them:
 * `optionKeys<FitOptions>()('epochs', 'batchSize', …)`. The compiler refuses the list while
 * it lacks a key of T or names one T does not have, so the list cannot fall behind the type.
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([MissingKeys<T, K[number]>] extends [never] ? unknown : { missingOptionKeys: MissingKeys<T, K[number]> })
  ): OptionKeys => keys;
}

/** Other spellings of an option name (Keras, PyTorch, snake_case) that mean one of ours. */
const ALIASES: Readonly<Record<string, string>> = { learningrate: 'lr', epoch: 'epochs', batch: 'batchSize' };

/** The option a misspelt `key` most likely meant: same letters up to case, '_' and '-', an alias, or one or two edits away. */
function closestKey(key: string, keys: OptionKeys): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const k = norm(key);
  const alias = ALIASES[k];
  if (alias !== undefined && keys.includes(alias)) return alias;
  let best: string | null = null;
  let bestDist = 3;
  for (const c of keys) {
    const d = norm(c) === k ? 0 : editDistance(k, norm(c));
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return bestDist <= Math.min(2, Math.floor(k.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Seeds are offset by epoch and layer numbers: refuse one so large that the sum leaves the safe integers. */
export const MAX_SEED = 2 ** 52;

/**
 * A seed: an integer in min..MAX_SEED (min −MAX_SEED for the library; the CLI's --seed takes 0
 * up), named `name` in the message, which gives the one range.
 */
export function checkSeed(seed: unknown, name = 'seed', min = -MAX_SEED): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < min || seed > MAX_SEED) {
    const range = min === -MAX_SEED ? '−2^52..2^52' : `${min}..2^52 (${MAX_SEED})`;
    throw new ValueError(`${name} must be an integer in ${range}, got ${describeValue(seed)}`);
  }
}

/** An optional boolean option: `fallback` when undefined, else exactly true or false. */
export function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValueError(`${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** An optional callback option: undefined (or, when `nullable`, null) or a function. */
export function checkOptionalFunction(name: string, value: unknown, nullable = false): void {
  if (value === undefined || typeof value === 'function' || (nullable && value === null)) return;
  throw new ValueError(`${name} must be a function${nullable ? ' or null' : ''}, got ${describeValue(value)}`);
}

/**
 * A GPUDevice as far as the engine uses one. Duck-typed: Node has no GPUDevice class until
 * Dawn is loaded, and Dawn's and the browser's classes differ.
 */
export function checkGPUDevice(name: string, value: unknown): void {
  const d = value as { createBuffer?: unknown; queue?: unknown; limits?: unknown } | null;
  if (typeof d !== 'object' || d === null || typeof d.createBuffer !== 'function' ||
    typeof d.queue !== 'object' || d.queue === null || typeof d.limits !== 'object' || d.limits === null) {
    throw new ValueError(`${name} must be a GPUDevice (with createBuffer, queue and limits), got ${describeValue(value)}`);
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
