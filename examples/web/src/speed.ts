// Training speed over a window of recent epochs: samples / seconds summed over the epochs of
// the last half second or so. One epoch of a small dataset can take less than the clock's
// resolution (a page's performance.now() is coarsened), so a per-epoch figure would jump
// between values and Infinity.
//
// A run's first epoch is charted alone and kept out of the window: it also pays one-time
// costs (the shaders the model's steps use compile on first use), ten times its later epochs
// on SwiftShader, and inside the window it dragged the figure down for as many epochs as fit
// in half a second (a slow climb to the real speed, then a jump).

const WINDOW_SECONDS = 0.5;

export class SpeedMeter {
  #epochs: { samples: number; seconds: number }[] = [];
  #samples = 0;
  #seconds = 0;
  #added = 0;

  /** Samples/s over the window, or null while no time has been measured. */
  get rate(): number | null {
    return this.#seconds > 0 ? this.#samples / this.#seconds : null;
  }

  /** Adds one epoch; returns samples/s over the window, or null while no time has been measured. */
  add(samples: number, seconds: number): number | null {
    // The second epoch starts the window afresh: the first was in it alone.
    if (++this.#added === 2) {
      this.#epochs = [];
      this.#samples = 0;
      this.#seconds = 0;
    }
    this.#epochs.push({ samples, seconds });
    this.#samples += samples;
    this.#seconds += seconds;
    while (this.#epochs.length > 1 && this.#seconds - this.#epochs[0]!.seconds >= WINDOW_SECONDS) {
      const old = this.#epochs.shift()!;
      this.#samples -= old.samples;
      this.#seconds -= old.seconds;
    }
    return this.rate;
  }
}
