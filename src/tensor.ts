// Tensor: a float32 vector [n] or row-major matrix [rows, cols] living on one engine's
// backend. Created by the engine; read back with `await t.read()`; freed with `dispose()`.

import type { BackendBuffer } from './backend.js';
import type { Engine } from './engine.js';
import { DisposedError } from './errors.js';
import type { Shape } from './types.js';

/** @internal How the engine makes tensors (the constructor is private, so the typings show none). */
export let newTensor: (owner: Engine, buffer: BackendBuffer, shape: Shape) => Tensor;

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  #buffer: BackendBuffer | null;

  static {
    newTensor = (...args) => new Tensor(...args);
  }

  /** Use engine.tensor(...) or an op to make tensors. */
  private constructor(
    /** The engine that made the tensor. */
    readonly owner: Engine,
    buffer: BackendBuffer,
    shape: Shape,
  ) {
    this.shape = shape;
    this.size = shape.length === 1 ? shape[0] : shape[0] * shape[1];
    this.#buffer = buffer;
  }

  /** Rows of a matrix; 1 for a vector (seen as a row). */
  get rows(): number {
    return this.shape.length === 2 ? this.shape[0] : 1;
  }

  /** Columns of a matrix; the length of a vector. */
  get cols(): number {
    return this.shape.length === 2 ? this.shape[1] : this.shape[0];
  }

  get disposed(): boolean {
    return this.#buffer === null;
  }

  /** @internal The backend buffer; throws if the tensor was disposed. */
  get buffer(): BackendBuffer {
    if (this.#buffer === null) throw new DisposedError(`tensor of shape [${this.shape.join(', ')}] was used after dispose()`);
    return this.#buffer;
  }

  /** Copy the values to the host (row-major). Waits for pending GPU work. */
  read(): Promise<Float32Array> {
    return this.owner.readTensor(this);
  }

  /** read(), then dispose() — also when the read fails: the way to fetch a temporary's values. */
  async readAndDispose(): Promise<Float32Array> {
    try {
      return await this.read();
    } finally {
      this.dispose();
    }
  }

  /** Values as nested arrays: number[][] for a matrix, number[] for a vector. */
  async toArray(): Promise<number[] | number[][]> {
    const data = await this.read();
    if (this.shape.length === 1) return Array.from(data);
    const [rows, cols] = this.shape;
    const out: number[][] = [];
    for (let r = 0; r < rows; r++) out.push(Array.from(data.subarray(r * cols, (r + 1) * cols)));
    return out;
  }

  /** Release the tensor's buffer to the pool. Safe to call twice. */
  dispose(): void {
    if (this.#buffer === null) return;
    this.owner.disposeTensor(this);
    this.#buffer = null;
  }

  toString(): string {
    return `Tensor[${this.shape.join('×')}]${this.disposed ? ' (disposed)' : ''}`;
  }
}
