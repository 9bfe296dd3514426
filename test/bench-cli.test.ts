// Flags of the Node benchmark scripts that had no test of their own, each bundled the way its
// npm script does and run as a child process: `npm run bench` (bench/node.ts) and
// `npm run bench:gram-20k` (bench/gram-20k.ts). A flag a script cannot use is one line and
// exit code 2 (gram-20k threw stack traces, rejected the --tile its header documents and
// took --n abc / 0 / 1.5 and --d 0; bench took --gram-sizes 0x800 as 2048).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBench, expectUsageLine, ROOT, type Run, runNode } from './helpers/cli.js';

const script = (entry: string, args: string[]): Promise<Run> => runNode(join(ROOT, `bench/dist/${entry}.js`), args);

beforeAll(() => {
  for (const entry of ['node', 'gram-20k']) buildBench(entry);
}, 180_000);

describe('bench:gram-20k', () => {
  it.each([
    [['--n', 'abc'], /^bench:gram-20k: --n must be an integer ≥ 1, got "abc"$/],
    [['--n', '0'], /^bench:gram-20k: --n must be an integer ≥ 1, got "0"$/],
    [['--n', '1.5'], /^bench:gram-20k: --n must be an integer ≥ 1, got "1\.5"$/],
    [['--d', '0'], /^bench:gram-20k: --d must be an integer ≥ 1, got "0"$/],
    [['--tile', '-1'], /^bench:gram-20k: --tile must be an integer ≥ 1, got "-1"$/],
    [['--tile', '0'], /^bench:gram-20k: --tile must be an integer ≥ 1, got "0"$/],
    [['--bogus'], /^bench:gram-20k: unknown option --bogus; valid options: --n, --d, --tile, --help$/],
  ])('%j: exit code 2 and one line', async (args, message) => {
    expectUsageLine(await script('gram-20k', args as string[]), message as RegExp);
  });

  it('--help lists its options', async () => {
    const r = await script('gram-20k', ['--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const flag of ['--n N', '--d D', '--tile T']) expect(r.stdout).toContain(flag);
  });

  it('--n 40 --d 8 --tile 16: the documented --tile is used, and 20 distinct rows of a small K are checked', async () => {
    const r = await script('gram-20k', ['--n', '40', '--d', '8', '--tile', '16']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      ok: boolean; entries: number; sampledRows: number[]; tiling: { tileRows: number; tileCols: number }; build: { commit: string };
      adapter: { description: string; isFallbackAdapter: boolean } | null; kernels: string; host: { node: string; cpu: { cores: number } };
    };
    expect(out.ok).toBe(true);
    expect(out.build.commit).toMatch(/^[0-9a-f]{40}$/);
    // What it ran on, as every bench JSON records it (it had only the build).
    expect(typeof out.adapter?.description).toBe('string');
    expect(typeof out.adapter?.isFallbackAdapter).toBe('boolean');
    expect(['workgroup', 'register']).toContain(out.kernels);
    expect([out.host.node, out.host.cpu.cores > 0]).toEqual([process.version, true]);
    expect(out.entries).toBe(1600);
    expect([out.tiling.tileRows, out.tiling.tileCols]).toEqual([16, 16]);
    expect(new Set(out.sampledRows).size).toBe(20);
  });
});

describe('bench', () => {
  it.each([
    [['--gram-sizes', '0x800'], /^bench: --gram-sizes must be positive integers separated by commas, got 0x800$/],
    [['--gram-sizes', '1e3'], /^bench: --gram-sizes must be positive integers separated by commas, got 1e3$/],
    [['--gram-sizes', '2048,'], /^bench: --gram-sizes must be positive integers separated by commas, got 2048,$/],
    [['--gram-dims', '0'], /^bench: --gram-dims must be positive integers separated by commas, got 0$/],
    [['--gram-cap', '0x10'], /^bench: --gram-cap must be a finite number, got "0x10"$/],
    [['--gram-cap', '0'], /^bench: --gram-cap must be a number of seconds > 0, got 0$/],
  ])('%j: exit code 2 and one line, before anything runs', async (args, message) => {
    expectUsageLine(await script('node', ['--quick', ...(args as string[])]), message as RegExp);
  });
});
