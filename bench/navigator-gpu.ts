// Side effect, imported first by bench/peers-node.ts: hands Dawn's GPU object (the `webgpu`
// package) to every library as navigator.gpu, with the WebGPU globals (GPUBufferUsage…).
// It must run before the peers' modules are evaluated: TensorFlow.js registers its webgpu
// backend at import time only when navigator.gpu exists. Node ≥ 21 has a navigator, 20 none.
import { cpus } from 'node:os';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const g = globalThis as unknown as { navigator?: object };
if (g.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js ${process.version}`, hardwareConcurrency: cpus().length, language: 'en-US' },
    configurable: true, writable: true,
  });
}
// Dawn for Node segfaults if this object is garbage-collected while a device lives: the
// navigator keeps it for the whole process.
Object.defineProperty(g.navigator!, 'gpu', { value: create([]), configurable: true });
