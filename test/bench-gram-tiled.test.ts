// The Node benchmark's tiled Gram cases (bench/gram-tiled.ts), on the CPU backend with
// gramTiles wrapped: its throughput counts N² entries, so a run whose tiles do not add up to
// N² (a tile never handed over) must fail, whatever the 64 samples say. It passed when the
// samples missed the tile.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../src/index.js';
import { tiledGramCases } from '../bench/gram-tiled.js';

vi.mock('../src/index.js', async (importOriginal) => {
  const lib = await importOriginal<typeof import('../src/index.js')>();
  return {
    ...lib,
    // At N = 256: 16×16 tiles, one of them (rows 128–143, columns 64–79) never handed over.
    gramTiles: (...[engine, x, y, options, onTile]: Parameters<typeof lib.gramTiles>) => x.rows !== 256
      ? lib.gramTiles(engine, x, y, options, onTile)
      : lib.gramTiles(engine, x, y, { ...options, tileRows: 16, tileCols: 16 }, (t) => (t.rowStart === 128 && t.colStart === 64 ? undefined : onTile(t))),
  };
});

const engine = await createEngine({ backend: 'cpu', log: null });
afterAll(() => engine.destroy());

describe('tiled Gram cases', () => {
  it('a run whose tiles miss some of K is FAILED, with no time (one whose tiles cover it is timed)', async () => {
    const [whole, r] = await tiledGramCases(engine, { sizes: [128, 256], dims: [16], capSeconds: 60, repeats: 1, log: () => {} });
    expect([whole!.size, whole!.check], whole!.detail).toEqual(['128×128, d=16', 'ok']);
    expect([r!.size, r!.check, r!.timing, r!.throughput]).toEqual(['256×256, d=16', 'FAILED', null, null]);
    expect(r!.detail).toBe('run 1: the tiles handed over 65280 of the 65536 entries');
  }, 120_000);
});
