// The peer benchmark's modes and backend ids, and the one parser of a --backends / ?backends=
// list, with no imports: the page (bench/browser/main.ts), the run (peer-run.ts) and both
// Node runners (peers-node.ts, browser/run.ts — which must check the list before launching
// anything, without loading the peers' libraries) share it.

/** quick: CI-sized; full: the sizes; gpu: full plus sizes only a real GPU finishes. */
export const MODES = ['quick', 'full', 'gpu'] as const;
export type Mode = (typeof MODES)[number];
export const OURS = 'sigmoid-core-webgpu';
export const BACKENDS = ['sigmoid-core-webgpu', 'sigmoid-core-cpu', 'tfjs-webgpu', 'tfjs-wasm', 'tfjs-cpu', 'jax-webgpu', 'jax-wasm'] as const;
export type BackendId = (typeof BACKENDS)[number];

/** Backend ids from a comma-separated list; an Error names any unknown or repeated one, or an empty list. */
export function parseBackends(text: string): BackendId[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ids.filter((id) => !(BACKENDS as readonly string[]).includes(id));
  if (bad.length > 0 || ids.length === 0) {
    throw new Error(`unknown backend(s) ${JSON.stringify(bad.length > 0 ? bad : text)}: choose from ${BACKENDS.join(', ')}`);
  }
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) throw new Error(`backend(s) ${JSON.stringify([...new Set(twice)])} given twice: each runs once per run`);
  return ids as BackendId[];
}
