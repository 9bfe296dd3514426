// Runs every op case of test/cases/ops.ts (the suite the browser page also runs) on both
// backends. The engine poisons outputs with NaN before each op, so an element an op
// forgets to write fails the comparison. For 'webgpu' there is no skip: without an
// adapter the beforeAll fails with createEngine's message (CI installs a Vulkan driver).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import type { Engine } from '../src/index.js';
import { opCases } from './cases/ops.js';

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(backend, () => {
    let engine: Engine | undefined;

    beforeAll(async () => {
      try {
        engine = await lib.createEngine({ backend, log: null, poisonOutputs: true });
      } catch (err) {
        throw new Error(`createEngine({ backend: '${backend}' }) failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
    });

    afterAll(() => {
      engine?.destroy();
    });

    for (const c of opCases) {
      it(c.name, async () => {
        if (engine === undefined) throw new Error(`no '${backend}' engine (createEngine failed in beforeAll)`);
        const before = engine.memory();
        await c.run(engine, lib);
        await engine.sync(); // surfaces GPU validation errors raised by the case
        const after = engine.memory();
        // Each case disposes what it creates: nothing leaks.
        expect(after.liveTensors, 'live tensors after the case').toBe(before.liveTensors);
        expect(after.liveBytes, 'live bytes after the case').toBe(before.liveBytes);
      });
    }
  });
}
