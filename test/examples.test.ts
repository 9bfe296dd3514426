// The examples' verdict lines follow from the numbers they print (the examples compute them;
// a wrong comparison would print a confident wrong sentence). Built as `npm run examples`
// builds them (examples/dist), run on the CPU backend with few epochs, where the cases that
// went wrong before show: fewer than three marked epochs (regression) and negative
// train–test gaps (sigmoid-vs-relu).
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Run } from './helpers/cli.js';

function example(name: string, ...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'examples/dist', `${name}.js`), ...args], { cwd: ROOT, timeout: 120_000 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

/** The rows of the first table after `title`: cells split on runs of two or more spaces. */
function tableAfter(text: string, title: string): string[][] {
  const lines = text.slice(text.indexOf(title)).split('\n').slice(1);
  const start = lines.findIndex((l) => /^-+/.test(l)) + 1;
  const end = lines.findIndex((l, i) => i >= start && l.trim() === '');
  return lines.slice(start, end < 0 ? undefined : end).map((l) => l.trim().split(/ {2,}/));
}

beforeAll(() => {
  execFileSync('npx', ['vite', 'build', '-c', 'examples/vite.config.ts'], { cwd: ROOT, stdio: 'pipe' });
}, 120_000);

describe('example verdicts agree with their printed numbers', () => {
  it.each([1, 3, 7])('regression --epochs %i: "fastest start" names the lowest MSE of the epoch it names', async (epochs) => {
    const r = await example('regression', '--backend', 'cpu', '--epochs', String(epochs));
    expect(r.code, r.stderr).toBe(0);
    const verdict = /fastest start \(lowest MSE at epoch (\d+)\): (\S+)/.exec(r.stdout);
    expect(verdict, r.stdout).not.toBeNull();
    const header = r.stdout.slice(r.stdout.indexOf('training MSE')).split('\n')[1]!.trim().split(/ {2,}/);
    const col = header.indexOf(`ep ${verdict![1]}`);
    expect(col, `column ep ${verdict![1]} in ${JSON.stringify(header)}`).toBeGreaterThan(0);
    const rows = tableAfter(r.stdout, 'training MSE');
    const lowest = rows.reduce((a, b) => (Number(b[col]) < Number(a[col]) ? b : a));
    expect(verdict![2]).toBe(lowest[0]);
  });

  it('sigmoid-vs-relu --epochs 1: the gap sentence only claims overfitting for a positive gap', async () => {
    const r = await example('sigmoid-vs-relu', '--backend', 'cpu', '--epochs', '1');
    expect(r.code, r.stderr).toBe(0);
    const gaps = /train–test gap: (\S+) (-?[\d.]+) points, (\S+) (-?[\d.]+)(.*)/.exec(r.stdout);
    expect(gaps, r.stdout).not.toBeNull();
    const larger = Math.max(Number(gaps![2]), Number(gaps![4]));
    if (larger > 0) expect(gaps![5]).toMatch(/fits the training set more closely than it generalises/);
    else expect(gaps![5]).toMatch(/neither fits the training set better than the test set/);
    // "yet X does better on held-out data" only when the test errors differ.
    const tie = /both make \d+ errors/.test(r.stdout);
    if (tie) expect(r.stdout).not.toMatch(/does better on held-out data/);
  });

  it('vanishing-gradients refuses a learning rate that is not a finite number > 0', async () => {
    for (const lr of ['Infinity', '1e400', '0']) {
      const r = await example('vanishing-gradients', '--backend', 'cpu', '--lr', lr);
      expect(r.code, `--lr ${lr}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--lr must be a number > 0/);
    }
  });
});
