// Seeded pseudo-random numbers for the tests (mulberry32): the same seed gives the same
// inputs in Node and in the browser. Every generator returns a Float32Array, so each value
// is exactly a float32 and the float64 reference sees precisely what the backend sees.

export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits (mulberry32). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** n values uniform in [lo, hi) (rounded to float32). */
  uniform(n: number, lo = -2, hi = 2): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /** n standard normal values × std + mean (Box–Muller, rounded to float32). */
  randn(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = 1 - this.next(); // (0, 1]
      const v = this.next();
      out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
    return out;
  }

  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo) * this.next());
  }

  /** n values uniform in ±[lo, hi) with random signs: bounded away from 0 (for kinks). */
  awayFromZero(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.next() < 0.5 ? -1 : 1) * (lo + (hi - lo) * this.next());
    return out;
  }
}

export function rng(seed: number): Rng {
  return new Rng(seed);
}
