// The benchmark's Markdown tables (bench/table.ts, shared by every runner and the page's
// JSON): a FAILED row's check text ("max |err| = …") must not break the table, so a `|` in a
// cell is escaped and every row keeps the header's columns.
import { describe, expect, it } from 'vitest';
import { type CaseResult, formatTable, markdown } from '../bench/table.js';

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
