// The benchmark's float64 checks (bench/cases.ts), on real outputs of sigmoid-core's CPU
// backend (bench/peers/sigmoid-core.ts): a right output passes, and an output with one bad
// value the 64 samples do not look at, with a value too many, or with a run of 16 zeros the
// samples miss, fails. They used to look at the sampled entries only, so a NaN anywhere else,
// a longer output or a wrong block of the output (a wrong tile, say) passed.
import { describe, expect, it } from 'vitest';
import { type CaseSpec, gramCase, matmulCase, mlpCase, sigmoidCase } from '../bench/cases.js';
import { sigmoidCorePeer } from '../bench/peers/sigmoid-core.js';

const CASES: [string, CaseSpec, number][] = [
  // [name, case, an index the 64 samples of these seeds miss (the old checks passed a NaN there)]
  ['matmul', matmulCase(64), 1234],
  ['sigmoid', sigmoidCase(2 ** 12), 1234],
  ['gram', gramCase(64, 48, 8), 1234],
  ['mlp', mlpCase([64, 32, 4], 8, 0.1), 1234], // W1 entries (after the loss at 0)
];

/** Three runs' outputs (warm-up, two timed) of `spec` on the CPU backend, each with its check. */
async function outputs(spec: CaseSpec): Promise<{ out: Float32Array; check: (out: Float32Array) => boolean }[]> {
  const peer = sigmoidCorePeer('cpu');
  await peer.init();
  try {
    const made = spec.make();
    const c = await peer.prepare(made.data);
    const runs = [];
    for (let step = 0; step < 3; step++) {
      const o = await c.run();
      const out = await c.read(o);
      c.free(o);
      runs.push({ out, check: (v: Float32Array) => made.check(v, step).ok });
    }
    c.dispose();
    return runs;
  } finally {
    await peer.destroy();
  }
}

describe('the float64 checks look at the whole output', () => {
  it.each(CASES)('%s: a right output passes; a NaN outside the samples, or an extra value, fails', async (_name, spec, at) => {
    // Each check is called once per output, in order, as the runners do: the MLP's check
    // replays step k for the k-th call, and every check draws its samples as it goes.
    const [a, b, c] = await outputs(spec);
    expect(a!.check(a!.out)).toBe(true);
    const nan = Float32Array.from(b!.out);
    nan[at] = Number.NaN;
    expect(b!.check(nan), 'a NaN at an entry the samples miss').toBe(false);
    const longer = new Float32Array(c!.out.length + 1);
    longer.set(c!.out);
    expect(c!.check(longer), 'one value too many').toBe(false);
  });

  it.each(CASES)('%s: 16 wrong values in a row that the samples miss fail every run', async (_name, spec, at) => {
    for (const { out, check } of await outputs(spec)) {
      out.fill(0, at, at + 16);
      expect(check(out)).toBe(false);
    }
  });
});
