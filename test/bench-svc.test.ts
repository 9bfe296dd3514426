// The SVC fit benchmark (`npm run bench:svc`, bench/svc.ts), bundled the way the npm script
// does and run as a child process: flags it cannot use end with exit code 2 and one line
// naming them (no stack trace), before any fit is timed; so does an --out that cannot be
// written (it used to fail only after the whole run, and one whose folder exists but takes no
// new file, such as /proc, still did). A run with --repeats 2 checks all three fits of every case
// (it checked only the last timed one).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBench, expectUsageLine, ROOT, type Run, runNode } from './helpers/cli.js';

const BUNDLE = join(ROOT, 'bench/dist/svc.js');
const dir = mkdtempSync(join(tmpdir(), 'bench-svc-'));

const svc = (args: string[]): Promise<Run> => runNode(BUNDLE, args);

beforeAll(() => buildBench('svc'), 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench:svc flags it cannot use', () => {
  it.each([
    [['--repeats', '0'], /^bench:svc: --repeats must be an integer ≥ 1, got "0"$/],
    [['--repeats', 'two'], /^bench:svc: --repeats must be an integer ≥ 1, got "two"$/],
    [['--bogus'], /^bench:svc: unknown option --bogus; valid options: --repeats, --out, --help$/],
  ])('%j: exit code 2 and one line', async (args, message) => {
    const r = await svc(args as string[]);
    expectUsageLine(r, message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an --out that cannot be written is refused before any fit', async () => {
    writeFileSync(join(dir, 'file.json'), '{}');
    await expectRefusedOut(dir, /^bench:svc: --out .*bench-svc-\w+: it is a folder; give a file name$/);
    await expectRefusedOut(join(dir, 'file.json', 'x.json'), /^bench:svc: --out .*file\.json\/x\.json: cannot make its folder/);
  });

  // Refused even to root: Linux's /proc takes no new file (its folder exists).
  it.skipIf(process.platform !== 'linux')('an --out in a folder that takes no new file (/proc) is refused before any fit', async () => {
    await expectRefusedOut('/proc/bench-svc.json', /^bench:svc: --out \/proc\/bench-svc\.json: its folder \/proc\/ takes no new file \(ENOENT\)$/);
  });
});

describe('a run', () => {
  it('checks every fit (the warm-up and each timed one), not only the last, before a time counts', async () => {
    const out = join(dir, 'run.json');
    const r = await svc(['--repeats', '2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(readFileSync(out, 'utf8')) as { results: { check: string; checkedFits: number; medianS: number | null }[] }).results;
    expect(rows.length).toBeGreaterThanOrEqual(4); // two models × (float32 CPU, float64, and WebGPU when there is an adapter)
    for (const row of rows) expect([row.check, row.checkedFits, row.medianS === null]).toEqual(['ok', 3, false]);
  }, 300_000);
});

async function expectRefusedOut(out: string, message: RegExp): Promise<void> {
  const r = await svc(['--repeats', '1', '--out', out]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trim()).toMatch(message);
  expect(r.stderr).not.toMatch(/warming up/);
  expect(r.stdout).toBe('');
}
