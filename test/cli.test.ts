// The built `sigmoid-core` binary (dist/cli.js, made by `npm test`'s build step), run as a
// child process: `gram` on real data (UCI digits) on both backends against float64,
// error cases (bad cell, width mismatch, bad flags) and `info --json`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childOptions, CLI, cli, expectOneLineError, requireBuiltCli, ROOT } from './helpers/cli.js';
import { expectClose } from './helpers/expectClose.js';
import { refGram } from './helpers/reference.js';

const D = 64;
const N = 150; // X: digits rows 1–150
const M = 70; // Y: digits rows 151–220



/** A plain numeric CSV parser for the test, independent of src/io/csv.ts. */
function parseNumbers(text: string, skipHeader: boolean): number[][] {
  return text.trim().split('\n').slice(skipHeader ? 1 : 0).map((line) => line.split(',').map(Number));
}

let dir: string;
let x: Float64Array; // [N, D], pixels / 16
let y: Float64Array; // [M, D]
let pixelNames: string[];

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'sigmoid-core-cli-'));
  const text = await readFile(join(ROOT, 'data/digits.csv'), 'utf8');
  pixelNames = text.slice(0, text.indexOf('\n')).split(',').slice(0, D);
  const rows = parseNumbers(text, true).map((r) => r.slice(0, D).map((v) => v / 16));
  expect(rows.length).toBe(1797);
  x = Float64Array.from(rows.slice(0, N).flat());
  y = Float64Array.from(rows.slice(N, N + M).flat());
  const lines = (a: Float64Array, n: number) => Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * D, (i + 1) * D)).join(','));
  await writeFile(join(dir, 'X.csv'), `${lines(x, N).join('\n')}\n`); // no header
  await writeFile(join(dir, 'Y.csv'), `${pixelNames.join(',')}\r\n${lines(y, M).join('\r\n')}\r\n`); // header, CRLF
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sigmoid-core gram on UCI digits (150 × 70, d = 64) against float64', () => {
  const cases = [
    { kernel: 'sigmoid', flags: [], gamma: 1 / D, coef0: 1 }, // scikit-learn's defaults
    { kernel: 'rbf', flags: ['--gamma', '0.02'], gamma: 0.02, coef0: 1 },
  ] as const;
  for (const backend of ['cpu', 'webgpu'] as const) {
    for (const c of cases) {
      it(`--kernel ${c.kernel} --backend ${backend}`, async () => {
        const out = join(dir, `K-${c.kernel}-${backend}.csv`);
        const r = await cli('gram', '--x', join(dir, 'X.csv'), '--y', join(dir, 'Y.csv'), '--kernel', c.kernel, ...c.flags, '--out', out, '--backend', backend);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(`K ${N}×${M}, kernel ${c.kernel}, γ = ${c.gamma === 1 / D ? '0.015625' : c.gamma}`);
        expect(r.stderr).toContain(`backend ${backend}`);
        expect(r.stdout).toBe('');
        const k = parseNumbers(await readFile(out, 'utf8'), false);
        expect(k.length).toBe(N);
        for (const row of k) expect(row.length).toBe(M);
        const ref = refGram(x, y, N, M, D, { kernel: c.kernel, gamma: c.gamma, coef0: c.coef0, degree: 3 });
        expectClose(k.flat(), ref, { atol: 1e-5, label: `K ${c.kernel} ${backend}` });
      });
    }
  }

  it('K(X, X) without --y, polynomial with a fraction γ and a negative c₀', async () => {
    const out = join(dir, 'K-poly.csv');
    const r = await cli('gram', '--x', join(dir, 'X.csv'), '--kernel=polynomial', '--gamma=1/64', '--coef0', '-0.5', '--degree', '2', '--out', out, '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const k = parseNumbers(await readFile(out, 'utf8'), false);
    const ref = refGram(x, x, N, N, D, { kernel: 'polynomial', gamma: 1 / 64, coef0: -0.5, degree: 2 });
    expectClose(k.flat(), ref, { atol: 1e-5, rtol: 1e-6, label: 'K polynomial' });
  });
});

describe('sigmoid-core gram: tiling and projected-sigmoid', () => {
  it('--tile 7 (22 × 10 tiles, rows streamed band by band) writes the same CSV as one tile, on both backends', async () => {
    for (const backend of ['cpu', 'webgpu'] as const) {
      const one = join(dir, `K-one-${backend}.csv`);
      const tiled = join(dir, `K-tile-${backend}.csv`);
      const a = await cli('gram', '--x', join(dir, 'X.csv'), '--y', join(dir, 'Y.csv'), '--out', one, '--backend', backend);
      expect(a.code, a.stderr).toBe(0);
      const b = await cli('gram', '--x', join(dir, 'X.csv'), '--y', join(dir, 'Y.csv'), '--out', tiled, '--tile', '7', '--backend', backend);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stderr).toMatch(/in 220 tiles of up to 7×7, 22 bands of rows/);
      expect(b.stderr).toMatch(/rows 150\/150 \(100 %\)/);
      expect(await readFile(tiled, 'utf8')).toBe(await readFile(one, 'utf8'));
    }
  });

  it('--kernel projected-sigmoid with --alpha-file (a row) and --beta-file (a column) against float64', async () => {
    const alpha = Array.from({ length: D }, (_, i) => ((i % 7) - 3) / 40);
    const beta = Array.from({ length: D }, (_, i) => ((i % 5) - 2) / 30);
    await writeFile(join(dir, 'alpha.csv'), `${alpha.join(',')}\n`);
    await writeFile(join(dir, 'beta.csv'), `${beta.join('\n')}\n`);
    for (const backend of ['cpu', 'webgpu'] as const) {
      const out = join(dir, `K-proj-${backend}.csv`);
      const r = await cli('gram', '--x', join(dir, 'X.csv'), '--kernel', 'projected-sigmoid', '--alpha-file', join(dir, 'alpha.csv'),
        '--beta-file', join(dir, 'beta.csv'), '--gamma', '-0.5', '--tile', '64', '--out', out, '--backend', backend);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('kernel projected-sigmoid, γ = -0.5');
      const k = parseNumbers(await readFile(out, 'utf8'), false);
      const ref = refGram(x, x, N, N, D, { kernel: 'projected-sigmoid', gamma: -0.5, coef0: 1, degree: 3, alpha, beta });
      expectClose(k.flat(), ref, { atol: 1e-6, label: `K projected-sigmoid ${backend}` });
    }
    const bad = await cli('gram', '--x', join(dir, 'X.csv'), '--kernel', 'projected-sigmoid', '--alpha-file', join(dir, 'alpha.csv'),
      '--beta-file', join(dir, 'Y.csv'), '--out', join(dir, 'K-pbad.csv'), '--backend', 'cpu');
    expect(bad.code).toBe(1);
    expectOneLineError(bad, /beta-file.*70×64: expected 64 numbers in one row or one column/);
    const noBeta = await cli('gram', '--x', join(dir, 'X.csv'), '--kernel', 'projected-sigmoid', '--alpha-file', join(dir, 'alpha.csv'), '--out', join(dir, 'K-pb.csv'));
    expect(noBeta.code).toBe(2);
    expectOneLineError(noBeta, /needs --beta-file/);
    const stray = await cli('gram', '--x', join(dir, 'X.csv'), '--alpha-file', join(dir, 'alpha.csv'), '--out', join(dir, 'K-ps.csv'));
    expect(stray.code).toBe(2);
    expectOneLineError(stray, /--alpha-file applies only to --kernel projected-sigmoid/);
    // A subnormal weight is refused (as γ is), naming the file and the number: it said 'alpha[1] must be ...'.
    await writeFile(join(dir, 'alpha-sub.csv'), `${alpha.map((v, i) => (i === 1 ? '1e-39' : v)).join(',')}\n`);
    const sub = await cli('gram', '--x', join(dir, 'X.csv'), '--kernel', 'projected-sigmoid', '--alpha-file', join(dir, 'alpha-sub.csv'),
      '--beta-file', join(dir, 'beta.csv'), '--out', join(dir, 'K-psub.csv'), '--backend', 'cpu');
    expect(sub.code).toBe(1);
    expectOneLineError(sub, /: .*alpha-sub\.csv \(--alpha-file\), number 2 must be 0 or at least 1\.2e-38 in magnitude/);
    expect(existsSync(join(dir, 'K-pbad.csv')) || existsSync(join(dir, 'K-pb.csv')) || existsSync(join(dir, 'K-ps.csv')) || existsSync(join(dir, 'K-psub.csv'))).toBe(false);
  });

  it('an overflow found in a late band leaves no output and no temp file', async () => {
    // Row 140 (0-based) of X scaled by 1e6: K(X, Y) with the polynomial kernel overflows float32 only in
    // that row, in band 15 of 15 (--tile 10), after 14 bands were written to the temp file.
    const rows = parseNumbers(await readFile(join(dir, 'X.csv'), 'utf8'), false);
    rows[140] = rows[140]!.map((v) => v * 1e6);
    const sub = await mkdtemp(join(dir, 'late-'));
    await writeFile(join(sub, 'X.csv'), rows.map((r) => r.join(',')).join('\n'));
    const out = join(sub, 'K.csv');
    const r = await cli('gram', '--x', join(sub, 'X.csv'), '--y', join(dir, 'Y.csv'), '--kernel', 'polynomial', '--degree', '9', '--tile', '10', '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /K\[140, \d+\] \(0-based: a row of X, a row of Y\) is Infinity: .*; choose a smaller --gamma or --degree, or scale the data down\. Nothing was written/);
    expect(await readdir(sub)).toEqual(['X.csv']);
  });

  it('--tile must be a positive integer', async () => {
    const r = await cli('gram', '--x', join(dir, 'X.csv'), '--tile', '0', '--out', join(dir, 'K-t0.csv'));
    expect(r.code).toBe(2);
    expectOneLineError(r, /--tile/);
  });
});

describe('sigmoid-core gram errors', () => {
  it('reports a bad cell by line and column and writes nothing', async () => {
    const lines = (await readFile(join(dir, 'X.csv'), 'utf8')).split('\n');
    const cells = lines[6]!.split(',');
    cells[2] = 'abc';
    lines[6] = cells.join(',');
    const bad = join(dir, 'Xbad.csv');
    await writeFile(bad, lines.join('\n'));
    const out = join(dir, 'K-bad.csv');
    const r = await cli('gram', '--x', bad, '--y', join(dir, 'Y.csv'), '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /Xbad\.csv line 7, column 3: "abc" is not a number$/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('K-bad'))).toEqual([]);
  });

  it('leaves an existing output untouched when a run fails', async () => {
    const out = join(dir, 'K-keep.csv');
    await writeFile(out, 'old\n');
    await writeFile(join(dir, 'NaN.csv'), '1,2\n3,NaN\n');
    const r = await cli('gram', '--x', join(dir, 'NaN.csv'), '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /NaN\.csv line 2, column 2: "NaN" is not a finite number/);
    expect(await readFile(out, 'utf8')).toBe('old\n');
  });

  it('names both widths when X and Y differ', async () => {
    const narrow = join(dir, 'Y63.csv');
    await writeFile(narrow, parseNumbers(await readFile(join(dir, 'Y.csv'), 'utf8'), true).map((r) => r.slice(0, 63).join(',')).join('\n'));
    const out = join(dir, 'K-width.csv');
    const r = await cli('gram', '--x', join(dir, 'X.csv'), '--y', narrow, '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /Y63\.csv has 63 columns but .*X\.csv has 64/);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects an unknown flag with exit code 2, listing the valid ones', async () => {
    const r = await cli('gram', '--x', join(dir, 'X.csv'), '--out', join(dir, 'K-u.csv'), '--gama', '2');
    expect(r.code).toBe(2);
    expectOneLineError(r, /unknown option --gama; valid options: --x, --y, --kernel, --gamma, --coef0, --degree, --alpha-file, --beta-file, --out, --tile, --backend, --quiet/);
  });

  it.each([
    [['--gamma', 'abc'], /--gamma must be a finite number, got "abc"/],
    [['--kernel', 'rbf', '--gamma', '-1'], /--gamma must be > 0 for the rbf kernel, got -1/],
    [['--gamma', '1e39'], /: --gamma must be within the float32 range/],
    [['--coef0', '1e-45'], /: --coef0 must be 0 or at least 1\.2e-38/],
    [['--kernel', 'polynomial', '--degree', '0'], /: --degree must be an integer in 1\.\.4294967295, got 0$/],
    [['--degree', '2.5'], /: --degree must be an integer in 1\.\.4294967295, got "2\.5"$/],
    [['--kernel', 'polynomial', '--degree', '5000000000'], /: --degree must be an integer in 1\.\.4294967295, got 5000000000$/],
    [['--kernel', 'gaussian'], /--kernel must be one of sigmoid, logistic, linear, polynomial, rbf, projected-sigmoid, got "gaussian"/],
    [['--backend', 'gpu'], /--backend must be one of auto, webgpu, cpu/],
    [['--tile', '99999999999'], /--tile 99999999999 is too large: .*at most \d+/],
  ])('rejects bad values %j with exit code 2', async (flags, message) => {
    const out = join(dir, 'K-flags.csv');
    const r = await cli('gram', '--x', join(dir, 'X.csv'), '--out', out, ...(flags as string[]));
    expect(r.code).toBe(2);
    expectOneLineError(r, message as RegExp);
    expect(existsSync(out)).toBe(false);
  });

  it('an --out that is empty or names a folder is refused before any work', async () => {
    const empty = await cli('gram', '--x', join(dir, 'X.csv'), '--out', '');
    expect(empty.code).toBe(2);
    expectOneLineError(empty, /--out needs a value/);
    const folder = await cli('gram', '--x', join(dir, 'X.csv'), '--out', dir);
    expect(folder.code).toBe(1);
    expectOneLineError(folder, /cannot write .*: it is a folder; give a file name/);
    const slash = await cli('gram', '--x', join(dir, 'X.csv'), '--out', join(dir, 'not-yet') + '/');
    expect(slash.code).toBe(1);
    expectOneLineError(slash, /cannot write .*not-yet\/: it names a folder/);
    expect(existsSync(join(dir, 'not-yet'))).toBe(false);
    // '-' conventionally means standard output; it must not become a file named '-' (a usage error).
    const dash = await cli('gram', '--x', join(dir, 'X.csv'), '--out', '-', '--backend', 'cpu');
    expect(dash.code).toBe(2);
    expectOneLineError(dash, /--out - is not supported: outputs go to files .*give a file name/);
    expect(existsSync(join(ROOT, '-'))).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('--out /dev/stdout: a pipe (`| cat`) is written in place; a socket, which cannot be opened by name, is refused saying so', async () => {
    const file = join(dir, 'K-stdout-ref.csv');
    expect((await cli('gram', '--x', join(dir, 'X.csv'), '--out', file, '--backend', 'cpu', '--quiet')).code).toBe(0);
    // Through /dev/stdout → /proc/self/fd/1 → "pipe:[N]", a link whose text is no path: it
    // was taken for a new file in /proc/self/fd/ ("its folder takes no new file").
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" gram --x "${join(dir, 'X.csv')}" --out /dev/stdout --backend cpu --quiet | cat`], childOptions());
    expect(piped.status, piped.stderr.toString()).toBe(0);
    expect(piped.stdout.toString()).toBe(await readFile(file, 'utf8'));
    // A reader that closes the pipe early (`| head`) ends the output, as it does printed output
    // (it failed the command: "cannot write /dev/stdout: EPIPE"). 400² entries: past the pipe's buffer.
    const big = join(dir, 'X-400.csv');
    await writeFile(big, `${Array.from({ length: 400 }, (_, i) => `${i / 400},${(i % 7) / 7}`).join('\n')}\n`);
    const head = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" gram --x "${big}" --out /dev/stdout --backend cpu --quiet | head -c 6; echo " exit \${PIPESTATUS[0]}"`], childOptions());
    expect(head.stderr.toString()).toBe('');
    expect(head.stdout.toString()).toMatch(/^[\d.]{6} exit 0\n$/);
    // Node's own stdio pipes are sockets.
    const socket = spawnSync(process.execPath, [CLI, 'gram', '--x', join(dir, 'X.csv'), '--out', '/dev/stdout', '--backend', 'cpu', '--quiet'], childOptions());
    expect(socket.status).toBe(1);
    expect(socket.stdout.toString()).toBe('');
    expect(socket.stderr.toString()).toMatch(/^sigmoid-core: cannot write \/dev\/stdout: \/proc\/self\/fd\/1 is a descriptor of socket:\[\d+\], which cannot be opened by name: not written; give a file\n$/);
  });

  it('an --out that is one of the inputs (--x, --y, or through a symbolic link) is refused up front and the input kept', async () => {
    const input = join(dir, 'own-X.csv');
    await writeFile(input, '1,2\n3,4\n');
    await symlink(input, join(dir, 'own-link.csv'));
    for (const [args, flag] of [[['--x', input], 'x'], [['--x', join(dir, 'X.csv'), '--y', join(dir, 'own-link.csv')], 'y']] as const) {
      const r = await cli('gram', ...args, '--out', input, '--backend', 'cpu');
      expect(r.code, r.stderr).toBe(2);
      expectOneLineError(r, new RegExp(`--out .*own-X\\.csv is the --${flag} file .*: writing it would overwrite the input; give another file`));
    }
    expect(await readFile(input, 'utf8')).toBe('1,2\n3,4\n');
  });

  it('a linear-kernel overflow says to scale the data (the linear kernel has no γ)', async () => {
    const huge = join(dir, 'huge.csv');
    await writeFile(huge, '1e20,1e20\n1,1\n');
    const r = await cli('gram', '--x', huge, '--kernel', 'linear', '--out', join(dir, 'K-huge.csv'), '--backend', 'cpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /the linear kernel overflows float32 here; scale the data down\. Nothing was written/);
    expect(existsSync(join(dir, 'K-huge.csv'))).toBe(false);
  });

  it('data whose float32 sums overflow on WebGPU is refused, saying --backend cpu (it wrote rbf 0 where the CPU writes 0.0082)', async () => {
    const far = join(dir, 'far.csv');
    await writeFile(far, '1.9e19\n-1e18\n'); // ‖x₀ − x₁‖² = 4e38
    const out = join(dir, 'K-far.csv');
    const r = await cli('gram', '--x', far, '--kernel', 'rbf', '--gamma', '1.2e-38', '--out', out, '--backend', 'webgpu');
    expect(r.code).toBe(1);
    expectOneLineError(r, /^sigmoid-core: gram: the squared distances .* come out wrong; standardize X \(or scale it down\), or use --backend cpu/);
    expect(existsSync(out)).toBe(false);
  });

  it('requires --x and --out, and says when a file is missing', async () => {
    const noOut = await cli('gram', '--x', join(dir, 'X.csv'));
    expect(noOut.code).toBe(2);
    expectOneLineError(noOut, /--out K\.csv is required/);
    const missing = await cli('gram', '--x', join(dir, 'nope.csv'), '--out', join(dir, 'K-m.csv'));
    expect(missing.code).toBe(1);
    expectOneLineError(missing, /cannot read .*nope\.csv: .*does not exist/);
  });
});

describe('sigmoid-core info, help and usage', () => {
  it('info --json names the backend, adapter and limits', async () => {
    const auto = await cli('info', '--json');
    expect(auto.code, auto.stderr).toBe(0);
    const a = JSON.parse(auto.stdout);
    expect(['webgpu', 'cpu']).toContain(a.backend);
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);

    const cpu = JSON.parse((await cli('info', '--backend', 'cpu', '--json')).stdout);
    expect(cpu.backend).toBe('cpu');
    expect(cpu.adapter).toBeNull();

    const gpu = await cli('info', '--backend', 'webgpu', '--json');
    expect(gpu.code, `no WebGPU adapter in Node (install a Vulkan driver, see MACHINE.md): ${gpu.stderr}`).toBe(0);
    const g = JSON.parse(gpu.stdout);
    expect(g.backend).toBe('webgpu');
    expect(typeof g.adapter.vendor).toBe('string');
    expect(typeof g.adapter.isFallbackAdapter).toBe('boolean');
  });

  it('SIGINT or SIGTERM mid-write: exit 128 + n, one line saying so, and no partial output or temp file left (a 188 MB temp file stayed)', async () => {
    // 2500 × 4 random rows: K is 6.25 M entries, written band by band for a few seconds.
    const rows = Array.from({ length: 2500 }, (_, i) => [1, 2, 3, 4].map((k) => Math.sin(i * k * 0.37).toFixed(5)).join(','));
    await writeFile(join(dir, 'Xbig.csv'), `${rows.join('\n')}\n`);
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const sub = await mkdtemp(join(dir, 'signal-'));
      const child = spawn(process.execPath, [CLI, 'gram', '--x', join(dir, 'Xbig.csv'), '--out', join(sub, 'K.csv'), '--backend', 'cpu'], childOptions());
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => void (stderr += b.toString()));
      const exited = new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
      const deadline = Date.now() + 60_000;
      // Wait for bytes in the temp file: the empty file the write check creates and removes
      // first (whyUnwritable) is not the write yet, and a kill then drops nothing.
      const writing = async (): Promise<boolean> => {
        for (const f of await readdir(sub)) if (((await stat(join(sub, f)).catch(() => null))?.size ?? 0) > 0) return true;
        return false;
      };
      while (!(await writing()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await readdir(sub), 'the temp file the write goes through').toHaveLength(1);
      child.kill(signal);
      expect(await exited, stderr).toBe(code);
      expect(stderr.trim().split('\n').at(-1)).toBe(`sigmoid-core: interrupted by ${signal}; the output being written was not written`);
      expect(await readdir(sub)).toEqual([]);
    }
  }, 120_000);

  it('a reader that closes the pipe early ends that output quietly, and the exit code stays the command\'s (it was a Node stack trace for EPIPE)', () => {
    // `true` exits long before node has started, so the output meets a closed pipe.
    const piped = (cmd: string) => spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" ${cmd} | true; echo "exit $\{PIPESTATUS[0]}" >&2`], { encoding: 'utf8' }).stderr;
    expect(piped('--help')).toBe('exit 0\n');
    expect(piped('bogus 2>&1')).toBe('exit 2\n'); // the error line meets the closed pipe: still a usage error
    expect(piped(`train --train ${join(dir, 'missing.csv')} --label y --backend cpu 2>&1`)).toBe('exit 1\n');
  });

  it('--quiet: gram and info write nothing to stderr (the notices, progress and summary show without it)', async () => {
    const out = join(dir, 'Kq.csv');
    const loud = await cli('gram', '--x', join(dir, 'X.csv'), '--out', out, '--backend', 'cpu');
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/^read .*X\.csv/m);
    const quiet = await cli('gram', '--x', join(dir, 'X.csv'), '--out', out, '--backend', 'cpu', '--quiet');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(await readFile(out, 'utf8')).not.toBe('');
    const info = await cli('info', '--json', '--quiet');
    expect(info.code, info.stderr).toBe(0);
    expect(info.stderr.split('\n').filter((l) => l.startsWith('sigmoid-core:'))).toEqual([]);
  });

  it('info prints a table', async () => {
    const r = await cli('info', '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^backend\s+cpu$/m);
    expect(r.stdout).toMatch(/^maxBufferSize\s+\d+/m);
  });

  it('help exits 0; no command or an unknown one exits 2', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: sigmoid-core <command>/);
    const gramHelp = await cli('gram', '--help');
    expect(gramHelp.code).toBe(0);
    expect(gramHelp.stdout).toMatch(/--kernel K/);
    expect((await cli()).code).toBe(2);
    const unknown = await cli('nope');
    expect(unknown.code).toBe(2);
    expectOneLineError(unknown, /unknown command "nope"/);
    // `help bogus` printed the general usage and exited 0; extra words after --version were ignored.
    const helpUnknown = await cli('help', 'bogus');
    expect(helpUnknown.code).toBe(2);
    expectOneLineError(helpUnknown, /unknown command "bogus"; commands: info, gram, train, predict, svm/);
    expect((await cli('help', 'svm')).stdout).toMatch(/^usage: sigmoid-core svm /);
    const versionExtra = await cli('--version', 'extra');
    expect(versionExtra.code).toBe(2);
    expectOneLineError(versionExtra, /--version takes no arguments, got "extra"/);
    expectOneLineError(await cli('help', 'gram', 'svm'), /help takes at most one command, got "gram" "svm"/);
    for (const topic of ['help', '--help', '-h']) expect((await cli('help', topic)).stdout).toMatch(/usage: sigmoid-core <command>/);
  });
});
