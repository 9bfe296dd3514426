// Least-recently-used cache of kernel rows with a byte budget (libsvm's kernel cache,
// `cacheSize` MB). A Map keeps insertion order, so re-inserting on use makes the first key
// the least recently used. Evicting a row only drops the cache's reference: a solver still
// holding the array keeps it valid.

export type KernelRow = Float32Array | Float64Array;

/** Kernel rows by row index, least recently used evicted past a byte budget; counts hits and misses. */
export class RowCache {
  readonly #rows = new Map<number, KernelRow>();
  readonly #budget: number;
  #bytes = 0;
  hits = 0;
  misses = 0;

  /** budgetBytes: the most the cached rows may hold (at least `minRows` rows are always kept). */
  constructor(budgetBytes: number, readonly rowBytes: number, minRows = 2) {
    this.#budget = Math.max(budgetBytes, rowBytes * minRows);
  }

  /** How many rows fit in the budget. */
  get capacity(): number {
    return Math.floor(this.#budget / this.rowBytes);
  }

  get size(): number {
    return this.#rows.size;
  }

  has(i: number): boolean {
    return this.#rows.has(i);
  }

  /** The row, marked as recently used; undefined if absent. */
  get(i: number): KernelRow | undefined {
    const r = this.#rows.get(i);
    if (r === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#rows.delete(i);
    this.#rows.set(i, r);
    return r;
  }

  set(i: number, row: KernelRow): void {
    const old = this.#rows.get(i);
    if (old !== undefined) {
      this.#rows.delete(i);
      this.#bytes -= old.byteLength;
    }
    while (this.#rows.size > 0 && this.#bytes + row.byteLength > this.#budget) {
      const first = this.#rows.keys().next().value as number;
      this.#bytes -= this.#rows.get(first)!.byteLength;
      this.#rows.delete(first);
    }
    this.#rows.set(i, row);
    this.#bytes += row.byteLength;
  }

  clear(): void {
    this.#rows.clear();
    this.#bytes = 0;
  }
}
