// The benchmark's Markdown tables (bench/table.ts, shared by every runner and the page's
// JSON): a FAILED row's check text ("max |err| = …") must not break the table, so a `|` in a
// cell is escaped and every row keeps the header's columns. And a peer run's state has the
// tables of its results whenever it is published, not only once the run has ended (the
// page's download and an unfinished runner's JSON had empty ones beside the page's tables).
import { describe, expect, it } from 'vitest';
import { type BenchState, OURS, runBench } from '../bench/peer-run.js';
import { type CaseResult, fmtMs, fmtNum, fmtRange, fmtRatio, formatRatios, formatTable, markdown, ratios } from '../bench/table.js';

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

describe('numbers in the tables', () => {
  it('take their digits from the value as rounded (9.996 ms was "10.00 ms", 999.96 ms "1000.0 ms")', () => {
    expect([0.5, 9.994, 9.996, 10, 99.94, 999.94, 999.96, 1000, 1234.5].map(fmtMs)).toEqual(
      ['0.50 ms', '9.99 ms', '10.0 ms', '10.0 ms', '99.9 ms', '999.9 ms', '1.00 s', '1.00 s', '1.23 s']);
    expect(fmtRange(999.96, 1200)).toBe('1.00–1.20 s');
    expect(fmtRange(998, 999.96)).toBe('998.0 ms–1.00 s');
    expect([null, 0.5, 9.994, 9.996, 10, 123.45].map(fmtRatio)).toEqual(['—', '0.50×', '9.99×', '10.0×', '10.0×', '123.5×']);
    expect([0, 0.0123, 0.994, 0.996, 9.994, 9.996, 99.94, 99.96, 100, 1234.4].map(fmtNum)).toEqual(
      ['0.0', '0.012', '0.99', '1.00', '9.99', '10.0', '99.9', '100', '100', '1234']);
  });
});

describe('a peer run\'s published state (window.__bench, the page\'s download, a runner\'s JSON)', () => {
  it('carries the tables of the results it has at every update, from the first (before any await) to the last', async () => {
    const seen: BenchState[] = [];
    const env = { tool: 'test', userAgent: 'node', hardwareConcurrency: 1 };
    const lines: string[] = [];
    /** How many results each progress line had been published with (the runner relays the lines and saves the last state it was handed). */
    const publishedAt: number[] = [];
    const run = runBench('quick', ['sigmoid-core-cpu', 'sigmoid-core-webgpu'], {
      progress: (l) => { lines.push(l); publishedAt.push(seen.at(-1)?.results.length ?? 0); },
      update: (s) => seen.push(structuredClone(s)),
    }, env);
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
    // A line that says a case finished follows a state that has it: a runner stopped on seeing
    // "median …" saved a JSON without that result (CI: 0 results after the first case's line).
    const resultLines = lines.flatMap((l, i) => (/: (median|FAILED|SKIPPED)/.test(l) ? [i] : []));
    expect(resultLines.length).toBe(final.results.length);
    resultLines.forEach((at, k) => expect(publishedAt[at], lines[at]).toBeGreaterThan(k));
    expect(final.results.map((r) => [r.workload, r.backend, r.check])).toEqual(['matmul', 'sigmoid', 'gram', 'mlp'].flatMap((w) => started.map((id) => [w, id, 'ok'])));
  }, 120_000);
});

describe('a peer run whose requestAdapter() never answers', () => {
  it('gives the query up at its deadline twice over and goes on (it held the run before any backend started)', async () => {
    const had = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: () => new Promise(() => {}) } }, configurable: true, writable: true });
    try {
      const lines: string[] = [];
      const s = await runBench('quick', [], { progress: (l) => lines.push(l), update: () => {} }, { tool: 'test', userAgent: 'node', hardwareConcurrency: 1 }, { initDeadlineMs: 100 });
      expect(lines[0]).toBe('requestAdapter() has not answered after 0.10 s: waiting before going on');
      expect([s.adapter, s.done, s.error]).toEqual(['requestAdapter() did not answer within 0.20 s', true, null]);
    } finally {
      if (had) Object.defineProperty(globalThis, 'navigator', had);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
