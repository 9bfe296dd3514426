// Per-epoch chart columns of bounded length. One point per epoch up to `maxPoints`; then
// every other point is dropped and from then on only every 2nd (4th, …) epoch is kept, so a
// run of millions of epochs keeps at most maxPoints points per column (memory and redraw cost
// stay bounded) while short runs keep every epoch. The arrays are changed in place: uPlot
// holds them.

const MAX_POINTS = 20_000;

export class EpochSeries {
  #stride = 1;

  constructor(
    /** Epoch numbers (1-based). */
    readonly x: number[],
    /** One array per plotted series, aligned with x. */
    readonly columns: (number | null)[][],
    readonly maxPoints = MAX_POINTS,
  ) {}

  /** Every how many epochs a point is kept. */
  get stride(): number {
    return this.#stride;
  }

  /** Whether `epoch` would be kept now (thinning can only make the stride longer). */
  onStride(epoch: number): boolean {
    return (epoch - 1) % this.#stride === 0;
  }

  /** Appends `epoch`'s values (one per column) when the epoch is on the stride; returns whether it was kept. */
  push(epoch: number, values: readonly (number | null)[]): boolean {
    if (!this.onStride(epoch)) return false;
    if (this.x.length >= this.maxPoints) {
      this.#thin();
      if (!this.onStride(epoch)) return false;
    }
    this.x.push(epoch);
    this.columns.forEach((col, i) => col.push(values[i] ?? null));
    return true;
  }

  /** Keeps points 0, 2, 4, … (epochs 1, 1 + 2·stride, …) and doubles the stride. */
  #thin(): void {
    this.#stride *= 2;
    for (const a of [this.x, ...this.columns] as unknown[][]) {
      let w = 0;
      for (let r = 0; r < a.length; r += 2) a[w++] = a[r];
      a.length = w;
    }
  }
}
