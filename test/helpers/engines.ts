// One CPU and one WebGPU engine for a test file: created before its tests, destroyed after.
// WebGPU is never skipped: without an adapter createEngine throws and the file fails.

import { afterAll, beforeAll } from 'vitest';
import { createEngine, type Engine, type EngineOptions } from '../../src/index.js';

export interface Engines {
  readonly cpu: Engine;
  readonly gpu: Engine;
}

export function useEngines(opts: Omit<EngineOptions, 'backend' | 'device'> = {}): Engines {
  const engines = {} as { cpu: Engine; gpu: Engine };
  beforeAll(async () => {
    engines.cpu = await createEngine({ log: null, ...opts, backend: 'cpu' });
    engines.gpu = await createEngine({ log: null, ...opts, backend: 'webgpu' });
  });
  afterAll(() => {
    engines.cpu?.destroy();
    engines.gpu?.destroy();
  });
  return engines;
}
