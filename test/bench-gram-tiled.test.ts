// The Node benchmark's tiled Gram cases (bench/gram-tiled.ts), on the CPU backend with
// gramTiles wrapped: its throughput counts N² entries, so a run whose tiles do not cover K
// exactly once (a tile never handed over, or one handed over twice in another's place) must
// fail, and so must a tile with a NaN, whatever the 64 samples say. Each passed when the
// samples missed the tiles concerned (the entries added up to N², or the NaN went unread).
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../src/index.js';
import { tiledGramCases } from '../bench/gram-tiled.js';

/** What the wrapped gramTiles does wrong at N = 256 (16×16 tiles; the samples miss tiles (128, 64) and (128, 80)). */
const fault = vi.hoisted(() => ({ kind: 'missing' as 'missing' | 'twice' | 'nan' }));

vi.mock('../src/index.js', async (importOriginal) => {
  const lib = await importOriginal<typeof import('../src/index.js')>();
  return {
    ...lib,
    gramTiles: (...[engine, x, y, options, onTile]: Parameters<typeof lib.gramTiles>) => x.rows !== 256
      ? lib.gramTiles(engine, x, y, options, onTile)
      : lib.gramTiles(engine, x, y, { ...options, tileRows: 16, tileCols: 16 }, async (t) => {
        const at = (r: number, c: number) => t.rowStart === r && t.colStart === c;
        if (fault.kind === 'missing' && at(128, 64)) return;
        if (fault.kind === 'twice' && at(128, 64)) await onTile(t); // and again below
        if (fault.kind === 'twice' && at(128, 80)) return;
        if (fault.kind === 'nan' && at(128, 64)) return onTile({ ...t, data: new Float32Array(t.data.length).fill(Number.NaN) });
        return onTile(t);
      }),
  };
});

const engine = await createEngine({ backend: 'cpu', log: null });
afterAll(() => engine.destroy());

const run = (sizes: number[]) => tiledGramCases(engine, { sizes, dims: [16], capSeconds: 60, repeats: 1, log: () => {} });

describe('tiled Gram cases', () => {
  it('a run whose tiles cover K once, all finite, is timed', async () => {
    const [whole] = await run([128]);
    expect([whole!.size, whole!.check], whole!.detail).toEqual(['128×128, d=16', 'ok']);
    expect(whole!.throughput).toBeGreaterThan(0);
  }, 120_000);

  it.each([
    ['missing', 'a tile never handed over', 'run 1: 1 of the 256 tiles never handed over, the first at rows 128–143, columns 64–79'],
    ['twice', 'a tile handed over twice and another never (the entries add up to N²)', 'run 1: the tile at rows 128–143, columns 64–79 was handed over twice'],
    ['nan', 'a tile of NaN', 'run 1: the tile at rows 128–143, columns 64–79: output[0] is NaN'],
  ] as const)('%s: %s is FAILED, with no time', async (kind, _what, detail) => {
    fault.kind = kind;
    const [r] = await run([256]);
    expect([r!.size, r!.check, r!.timing, r!.throughput], r!.detail).toEqual(['256×256, d=16', 'FAILED', null, null]);
    expect(r!.detail).toBe(detail);
  }, 120_000);
});
