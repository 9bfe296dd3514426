// Runs every op case of test/cases/ops.ts (the suite the browser page also runs) on both
// backends, and the tiling-dependent cases under each WebGPU tiling. The engine poisons
// outputs with NaN before each op, so an element an op forgets to write fails the
// comparison. For 'webgpu' there is no skip: without an adapter the beforeAll fails with
// createEngine's message (CI installs a Vulkan driver).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import type { Engine } from '../src/index.js';
import { opRuns } from './cases/ops.js';
import { describeError } from '../tools/describe-error.js';

for (const run of opRuns) {
  describe(run.name, () => {
    let engine: Engine | undefined;

    beforeAll(async () => {
      const opts = { backend: run.backend, tiling: run.tiling };
      try {
        engine = await lib.createEngine({ ...opts, log: null, poisonOutputs: true });
      } catch (err) {
        throw new Error(`createEngine(${JSON.stringify(opts)}) failed: ${describeError(err)}`);
      }
      if (run.tiling !== undefined) expect(engine.tiling, 'the tiling the engine runs').toBe(run.tiling);
    });

    afterAll(() => {
      engine?.destroy();
    });

    // A WebGPU case compiles its pipelines into a cold shader cache on a fresh machine: the
    // workgroup-tiling cases took 20–31 s each in a full run, 4–5× within the default 120 s.
    const timeout = run.backend === 'webgpu' ? 300_000 : undefined;
    for (const c of run.cases) {
      it(c.name, async () => {
        if (engine === undefined) throw new Error(`no '${run.name}' engine (createEngine failed in beforeAll)`);
        const before = engine.memory();
        await c.run(engine, lib);
        await engine.sync(); // surfaces GPU validation errors raised by the case
        const after = engine.memory();
        // Each case disposes what it creates: nothing leaks.
        expect(after.liveTensors, 'live tensors after the case').toBe(before.liveTensors);
        expect(after.liveBytes, 'live bytes after the case').toBe(before.liveBytes);
      }, timeout);
    }
  });
}
