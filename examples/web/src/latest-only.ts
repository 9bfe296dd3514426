// One job at a time, and only the newest of those waiting: a job that is still waiting when a
// newer one comes is dropped. The Gram view's slider asks for a recomputation whenever it
// rests for a moment; on a GPU busy training, each took ~350 ms, and every position passed
// on the way was computed in turn (a 3 s drag was shown 7 s after it ended).

export class LatestOnly<T> {
  #running: Promise<unknown> | null = null;
  #newest = 0;

  /** Runs `job` once the one running has ended, unless a newer job came meanwhile (then null). */
  async run(job: () => Promise<T>): Promise<T | null> {
    const ticket = ++this.#newest;
    while (this.#running !== null) {
      await this.#running.catch(() => undefined);
      if (ticket !== this.#newest) return null;
    }
    const p = job();
    this.#running = p;
    try {
      return await p;
    } finally {
      this.#running = null;
    }
  }
}
