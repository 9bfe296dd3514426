// Argument checks shared by the engine, models and the CLI: each throws a typed error
// whose message names the argument, the value, and what was expected.

import { LimitError, ShapeError, ValueError } from './errors.js';
import type { Shape } from './types.js';

export function fmtShape(shape: Shape | readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Largest finite float32. */
export const MAX_FLOAT32 = 3.4028234663852886e38;

/** A finite number that float32 (what the kernels compute in) can also hold. */
export function checkFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${name} must be a finite number, got ${String(value)}`);
  }
  if (Math.abs(value) > MAX_FLOAT32) {
    throw new ValueError(`${name} must be within the float32 range (|x| ≤ 3.4e38), got ${value}`);
  }
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
    throw new ValueError(`${name} must be a positive integer, got ${String(value)}`);
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

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
