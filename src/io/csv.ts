// CSV of numbers: a float32 matrix in, a float32 matrix out. Comma-separated, one row a
// line (LF, CRLF, or CR as old Mac exports have), an optional header row (detected: a first
// row with a cell that names its column: isHeaderRow), blank trailing lines ignored.
// Double-quoted cells ("a, b", "say ""hi""") are understood; a quoted cell over an unquoted
// one names its column, so any header that writeCsv writes reads back as a header. Every
// error names the file, line and column; a binary file (NUL bytes: a spreadsheet, UTF-16
// text) or a first line separated by ; or tabs instead of commas is refused as such, and so,
// with a hint, is what looks like pandas' header of numeric names over an index column
// (",0,1,2", read as a data row with a gap); a first line that is exactly 0,1,…,n−1 (pandas'
// header for unnamed columns) is refused too.

import { ValueError } from '../errors.js';

export interface CsvMatrix {
  /** Column names when the first row is a header, else null. */
  header: string[] | null;
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  data: Float32Array;
  /** File line of the first data row (1, or 2 after a header). */
  firstLine: number;
  /** The column picked by readCsv's `column` option, or null. */
  column: CsvColumn | null;
}

/**
 * One column read apart from the float32 matrix: 'exact' keeps its values as float64 too
 * (class labels above 2²⁴ stay distinct), 'ignored' does not parse its cells (they may be
 * empty or text) and leaves NaN in `data`.
 */
export interface CsvColumn {
  index: number;
  mode: 'exact' | 'ignored';
  /** 'exact': the column's values, one per row. */
  values: Float64Array | null;
}

/**
 * Picks the column (0-based) once the header is known (null: none). `name`, for an ignored
 * column: a line-1 cell there equal to it names the column (line 1 is a header), where other
 * text in it does not.
 */
export type CsvColumnPick = (header: string[] | null, cols: number) => { index: number; mode: CsvColumn['mode']; name?: string } | null;

/**
 * A malformed CSV. `line` and `column` are 1-based and point at the offending cell (for a
 * row of the wrong length, at the first missing or extra column; for an empty file, 1, 1).
 */
export class CsvError extends ValueError {
  override name = 'CsvError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    detail: string,
    /** How the message locates the problem: at a cell, on a whole line, or in the file. */
    where: 'cell' | 'line' | 'file' = 'cell',
  ) {
    const at = where === 'cell' ? ` line ${line}, column ${column}:` : where === 'line' ? ` line ${line}` : '';
    super(`${source}${at} ${detail}`);
  }
}

/** A decimal number: 12, -3.5, .5, 1e-7, +2.E3 (no hex, no Infinity, no NaN). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
const LINE_BREAK = /\r\n?|\n/;

interface Cell {
  text: string;
  quoted: boolean;
}

export function readCsv(text: string, opts: { source?: string; column?: CsvColumnPick } = {}): CsvMatrix {
  const source = opts.source ?? 'CSV';
  // NUL never appears in CSV text; it does in spreadsheets (.xlsx is a zip) and UTF-16 exports.
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split(LINE_BREAK).length;
    throw new CsvError(source, line, 1, 'is not a text CSV: it has NUL bytes (a binary file such as .xlsx, or UTF-16 text?); save it as CSV, UTF-8', 'file');
  }
  const lines = text.replace(/^\uFEFF/, '').split(LINE_BREAK);
  let last = lines.length;
  while (last > 0 && lines[last - 1]!.trim() === '') last--;
  if (last === 0) throw new CsvError(source, 1, 1, 'is empty (expected rows of comma-separated numbers)', 'file');

  if (lines[0]!.trim() === '') throw new CsvError(source, 1, 1, 'is blank (expected a header or the first row of numbers)', 'line');
  const first = splitLine(lines[0]!, source, 1);
  // A file in another dialect (cells between ; or tabs) would read as one column of text.
  const other = first.length === 1 && !first[0]!.quoted ? /[;\t]/.exec(first[0]!.text)?.[0] : undefined;
  if (other !== undefined) {
    const name = other === ';' ? 'semicolons' : 'tabs';
    throw new CsvError(source, 1, 1, `has no commas but ${name} between its cells: only comma-separated files are read (convert ${name} to commas)`, 'line');
  }
  const second = last > 1 ? cellsOrNull(lines[1]!) : null;
  const hasHeader = isHeaderRow(first, second, ignoredWithoutHeader(opts.column, first.length));
  const header = hasHeader ? first.map((c) => c.text) : null;
  const start = hasHeader ? 1 : 0;
  const rows = last - start;
  if (rows === 0) throw new CsvError(source, 2, 1, 'has a header row but no data rows', 'file');
  const cols = first.length;
  const data = new Float32Array(rows * cols);
  const pick = opts.column?.(header, cols) ?? null;
  const column: CsvColumn | null = pick === null ? null : { index: pick.index, mode: pick.mode, values: pick.mode === 'exact' ? new Float64Array(rows) : null };
  const ignored = column?.mode === 'ignored' ? column.index : -1;
  const exact = column?.values ?? null;
  const exactAt = exact === null ? -1 : column!.index;

  for (let i = start; i < last; i++) {
    const lineNo = i + 1;
    const cells = i === 0 ? first : splitLine(lines[i]!, source, lineNo);
    if (cells.length !== cols) {
      const blank = cells.length === 1 && cells[0]!.text === '' && !cells[0]!.quoted;
      const like = hasHeader ? 'the header' : 'line 1';
      const what = blank ? 'is blank' : `has ${cells.length} column${cells.length === 1 ? '' : 's'}`;
      const detail = `${what}, expected ${cols} column${cols === 1 ? '' : 's'} (like ${like})`;
      throw new CsvError(source, lineNo, Math.min(cells.length, cols) + 1, detail, 'line');
    }
    const base = (i - start) * cols;
    // Line 1's empty cells may be pandas' header (numericHeaderHint).
    const hint = i === 0 ? () => numericHeaderHint(first, second, ignored) : undefined;
    for (let c = 0; c < cols; c++) {
      if (c === ignored) {
        data[base + c] = NaN;
        continue;
      }
      const v = parseCell(cells[c]!.text, source, lineNo, c + 1, hint);
      data[base + c] = v; // rounded to float32 here
      if (c === exactAt) exact![i - start] = v;
    }
  }
  if (header === null && isDefaultHeader(first, data, rows)) {
    throw new CsvError(
      source, 1, 1,
      `is ${first.length > 4 ? `0, 1, …, ${first.length - 1}` : first.map((c) => c.text).join(', ')}: it looks like the header pandas' ` +
        'DataFrame(X).to_csv(index=False) writes for unnamed columns (a header of numbers cannot be told from data): ' +
        'write the file with header=False or give the columns names that are not numbers; if line 1 is data, add a header row naming the columns above it',
      'line',
    );
  }
  return { header, rows, cols, data, firstLine: start + 1, column };
}

/**
 * Cells that stand for a missing value (pandas' default na_values, and UCI's "?"): text, yet
 * no column's name, so a first row with one is a data row with a gap and is refused as such.
 */
const MISSING = new Set([
  '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>',
  'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null', '?',
]);

/** Text that can name a column: not empty, a number, a missing value or an infinity. */
function isName(text: string): boolean {
  return text !== '' && !NUMBER.test(text) && !NON_FINITE.test(text) && !MISSING.has(text);
}

/**
 * Whether line 1 is a header: one of its cells names its column, that is, it is a name, or a
 * quoted cell over an unquoted one in line 2 (writeCsv quotes names such as "7"). Gaps (empty,
 * NA, ?) name nothing, nor do quotes in a file that quotes every cell, nor the text in the
 * column `ignored` (the label column predict ignores, "unknown" where the label is to be
 * predicted) unless it is that column's own name: a first row of those is data, read (or
 * refused, cell by cell) as any other line, never dropped as a header.
 */
function isHeaderRow(first: readonly Cell[], second: readonly Cell[] | null, ignored: { index: number; name?: string }): boolean {
  return first.some((c, k) => (k === ignored.index
    ? ignored.name !== undefined && c.text === ignored.name
    : (c.quoted && second?.[k]?.quoted !== true) || isName(c.text)));
}

/** Line 2's cells, or null when it is malformed (its own error is reported when it is read). */
function cellsOrNull(line: string): Cell[] | null {
  try {
    return splitLine(line, '', 2);
  } catch {
    return null;
  }
}

/** The column `pick` ignores when line 1 is data (no header), and its name, or index −1; a pick that needs a header throws, and ignores none. */
function ignoredWithoutHeader(pick: CsvColumnPick | undefined, cols: number): { index: number; name?: string } {
  try {
    const p = pick?.(null, cols);
    return p?.mode === 'ignored' ? { index: p.index, ...(p.name === undefined ? {} : { name: p.name }) } : { index: -1 };
  } catch {
    return { index: -1 };
  }
}

/**
 * Whether a first row (parsed into row 0 of `data`) is pandas' header for a DataFrame's
 * default column names: exactly 0, 1, …, n−1 with n ≥ 3, over at least two rows, and out of
 * place, k lying outside the range of column k in the rows below for most columns (64 over
 * pixel values 0–16). A first row in most of its columns' ranges is data ("0,1,1" over rows of
 * 0s and 1s), and so are two columns or one row below: too little to tell. Columns with no
 * value below (ignored, or all empty) do not count.
 */
function isDefaultHeader(first: readonly Cell[], data: Float32Array, rows: number): boolean {
  const cols = first.length;
  if (cols < 3 || rows < 3 || !first.every((c, k) => c.text === String(k))) return false;
  let seen = 0;
  let outside = 0;
  for (let k = 0; k < cols; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 1; r < rows; r++) {
      const v = data[r * cols + k]!;
      if (v < lo) lo = v; // NaN (an ignored or empty cell) passes neither test
      if (v > hi) hi = v;
    }
    if (lo > hi) continue;
    seen++;
    if (k < lo || k > hi) outside++;
  }
  return outside * 2 > seen;
}

/**
 * Why a first row with gaps may be no data row: pandas' DataFrame(X).to_csv() writes a header of
 * numbers (0, 1, 2, …) over an unnamed index column (",0,1,2"), which cannot be told from a data
 * row with a missing value. Said (the file is still refused) when line 1's only empty cell is
 * its first, its other cells are integers (names like 0, 1, 2) and line 2 is complete; else ''.
 */
function numericHeaderHint(first: readonly Cell[], second: readonly Cell[] | null, ignored: number): string {
  // pandas leaves only the index column's name empty, and the index comes first.
  const onlyFirstEmpty = first[0]?.text === '' && first.every((c, k) => k === 0 || k === ignored || c.text !== '');
  if (second === null || !onlyFirstEmpty || !first.every((c, k) => k === ignored || c.text === '' || /^[+-]?\d+$/.test(c.text))) return '';
  if (second.length !== first.length || second.some((c, k) => k !== ignored && c.text === '')) return '';
  return (
    '; line 1 looks like a header of numeric column names over an index column, as pandas\' DataFrame(X).to_csv() writes ' +
    '(a header of numbers cannot be told from data): write the file with to_csv(index=False, header=False), ' +
    'or give the columns names that are not numbers and remove the index column (index=False)'
  );
}

/** A cell's number; `emptyHint` adds to the message for an empty cell. */
function parseCell(text: string, source: string, line: number, column: number, emptyHint?: () => string): number {
  if (!NUMBER.test(text)) {
    if (text === '') throw new CsvError(source, line, column, `empty cell (expected a number)${emptyHint?.() ?? ''}`);
    if (NON_FINITE.test(text)) throw new CsvError(source, line, column, `"${text}" is not a finite number (NaN and Infinity are not allowed)`);
    throw new CsvError(source, line, column, `"${clip(text)}" is not a number`);
  }
  const v = Number(text);
  if (!Number.isFinite(Math.fround(v))) throw new CsvError(source, line, column, `"${text}" is outside the float32 range (|x| < 3.4e38)`);
  return v; // float64: the caller rounds it to float32 where it stores it
}

/** Splits one line into trimmed cells, honouring double quotes ("" is a literal quote). */
function splitLine(line: string, source: string, lineNo: number): Cell[] {
  if (!line.includes('"')) return line.split(',').map((t) => ({ text: t.trim(), quoted: false }));
  const cells: Cell[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let text = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw new CsvError(source, lineNo, cells.length + 1, 'a quoted cell is not closed on this line');
        text += line.slice(j, q);
        if (line[q + 1] === '"') {
          text += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') {
        throw new CsvError(source, lineNo, cells.length + 1, 'unexpected text after a closing quote');
      }
      cells.push({ text, quoted: true });
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      cells.push({ text: line.slice(i, end).trim(), quoted: false });
      i = end;
    }
    if (i >= line.length) return cells;
    i++; // past the comma
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

// ---- writing -------------------------------------------------------------------------------

/** The whole CSV as one string: `rows` lines of `cols` values, with an optional header line. */
export function writeCsv(data: ArrayLike<number>, rows: number, cols: number, header?: readonly string[] | null): string {
  return Array.from(csvChunks(data, rows, cols, header)).join('');
}

/**
 * The same text as writeCsv, in pieces of about `chunkBytes` characters (whole lines), for
 * writing matrices too large for one string. Values are float32 written with the fewest
 * digits that read back to the same float32, except the first `exactCols` columns, written
 * as float64 (class labels such as 123456789, which float32 cannot hold); NaN and ±Infinity
 * are refused (ValueError), since readCsv would refuse them.
 */
export function* csvChunks(
  data: ArrayLike<number>, rows: number, cols: number, header?: readonly string[] | null,
  { chunkBytes = 1 << 20, exactCols = 0 }: { chunkBytes?: number; exactCols?: number } = {},
): Generator<string> {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1 || rows * cols !== data.length) {
    throw new ValueError(`writeCsv: ${rows}×${cols} does not match ${data.length} values`);
  }
  if (header && header.length !== cols) throw new ValueError(`writeCsv: header has ${header.length} names for ${cols} columns`);
  let out = header ? `${header.map(quoteName).join(',')}\n` : '';
  const cells = new Array<string>(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!;
      if (!Number.isFinite(v)) throw new ValueError(`writeCsv: value at row ${r + 1}, column ${c + 1} is ${v}; a CSV of numbers cannot hold it`);
      cells[c] = c < exactCols ? String(v) : formatFloat32(v);
    }
    out += `${cells.join(',')}\n`;
    if (out.length >= chunkBytes) {
      yield out;
      out = '';
    }
  }
  if (out !== '') yield out;
}

/** Shortest decimal (at most 9 significant digits) that reads back as the same float32. */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) < 1e7) return String(f === 0 ? 0 : f);
  // p digits reading back implies p + 1 do too: most float32 need 8 or 9, so start at 8.
  let best = Number(f.toPrecision(8));
  if (Math.fround(best) !== f) return String(Number(f.toPrecision(9)));
  for (let p = 7; p >= 6; p--) {
    const shorter = Number(f.toPrecision(p));
    if (Math.fround(shorter) !== f) break;
    best = shorter;
  }
  return String(best); // String() drops trailing zeros, so 0.500000 → 0.5
}

/** Quotes a header name when it would not read back as the same text (or as text at all). */
function quoteName(name: string): string {
  const plain = name === name.trim() && !/[",\r\n]/.test(name) && isName(name);
  return plain ? name : `"${name.replaceAll('"', '""')}"`;
}
