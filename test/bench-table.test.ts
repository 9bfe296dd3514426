// The benchmark's Markdown tables (bench/table.ts, shared by every runner and the page's
// JSON): a FAILED row's check text ("max |err| = …") must not break the table, so a `|` in a
// cell is escaped and every row keeps the header's columns. And a peer run's state has the
// tables of its results whenever it is published, not only once the run has ended (the
// page's download and an unfinished runner's JSON had empty ones beside the page's tables).
import { describe, expect, it } from 'vitest';
import { type BenchState, OURS, runBench } from '../bench/peer-run.js';
import { type CaseResult, formatRatios, formatTable, markdown, ratios } from '../bench/table.js';

/** The cells of a Markdown table row, split at the `|` that are not escaped. */
const cells = (line: string) => line.trim().slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());

const ok: CaseResult = {
  backend: 'cpu', workload: 'matmul', size: '256', unit: 'GFLOP/s', check: 'ok', detail: 'fine',
  timing: { samples: [1, 2, 3], medianMs: 2, minMs: 1, maxMs: 3 }, throughput: 8.4,
};
const failed: CaseResult = {
  backend: 'cpu', workload: 'sigmoid', size: '2^20', unit: 'GB/s', check: 'FAILED', detail: 'warm-up: 64 samples, max |err| = 1.0e+0 (≤ 1e-6)',
  timing: null, throughput: null,
};

describe('Markdown tables', () => {
  it('a FAILED row whose check text has a | keeps the header\'s columns, the | escaped', () => {
    const lines = formatTable([ok, failed]).split('\n');
    const head = cells(lines[0]!);
    expect(head).toHaveLength(7);
    for (const line of lines) expect(cells(line), line).toHaveLength(head.length);
    expect(cells(lines[3]!).at(-1)).toBe('FAILED: warm-up: 64 samples, max \\|err\\| = 1.0e+0 (≤ 1e-6)');
    expect(cells(lines[3]!).slice(3, 6)).toEqual(['—', '—', '—']);
  });

  it('pads columns to the widest cell as written (escapes included)', () => {
    const t = markdown(['a', 'b'], [['x|y', '1'], ['long cell', '2']]).split('\n');
    expect(new Set(t.map((l) => l.length)).size).toBe(1);
    expect(t[2]).toBe('| x\\|y      | 1 |');
  });
});

describe('a peer run\'s published state (window.__bench, the page\'s download, a runner\'s JSON)', () => {
  it('carries the tables of the results it has at every update, from the first (before any await) to the last', async () => {
    const seen: BenchState[] = [];
    const env = { tool: 'test', userAgent: 'node', hardwareConcurrency: 1 };
    const lines: string[] = [];
    const run = runBench('quick', ['sigmoid-core-cpu', 'sigmoid-core-webgpu'], { progress: (l) => lines.push(l), update: (s) => seen.push(structuredClone(s)) }, env);
    // Published at once: a page's second run must not leave the first run's finished state up
    // (done, with its results) while it asks for the adapter.
    expect(seen.map((s) => [s.done, s.results.length])).toEqual([[false, 0]]);
    const final = await run;
    expect(seen.length).toBeGreaterThan(4);
    // The last update is the finished state (a hook that copies the state never saw it: done was set after it).
    expect(seen.map((s) => s.done)).toEqual(seen.map((_, i) => i === seen.length - 1));
    expect(seen.at(-1)).toEqual(final);
    expect(seen.filter((s) => s.results.length > 0).length).toBeGreaterThan(1);
    for (const s of [...seen, final]) {
      const peers = s.backends.filter((b) => b.id !== OURS).map((b) => b.id);
      const what = `after ${s.results.length} result(s)`;
      expect(s.ratios, what).toEqual(ratios(s.results, OURS, peers));
      expect(s.table, what).toBe(formatTable(s.results));
      expect(s.ratioTable, what).toBe(formatRatios(s.ratios, peers));
    }
    // sigmoid-core-webgpu runs where Node has an adapter (Dawn), and is unavailable elsewhere.
    const started = final.backends.filter((b) => b.status === 'ok').map((b) => b.id);
    expect(started).toContain('sigmoid-core-cpu');
    // Every backend starts before the first case, and each case runs on all of them before the next.
    const firstCase = lines.findIndex((l) => l.endsWith('matmul 256…'));
    const starts = lines.flatMap((l, i) => (l.endsWith('starting…') ? [i] : []));
    expect(starts.map((i) => lines[i])).toEqual(['[sigmoid-core-cpu] starting…', '[sigmoid-core-webgpu] starting…']);
    expect(Math.max(...starts)).toBeLessThan(firstCase);
    expect(final.results.map((r) => [r.workload, r.backend, r.check])).toEqual(['matmul', 'sigmoid', 'gram', 'mlp'].flatMap((w) => started.map((id) => [w, id, 'ok'])));
  }, 120_000);
});
