// CSV reader/writer: header detection, line endings, quoting, every error with its line and
// column, and float32 round trips.
import { describe, expect, it } from 'vitest';
import { ValueError } from '../src/errors.js';
import { CsvError, csvChunks, formatFloat32, readCsv, writeCsv } from '../src/io/csv.js';

/** The CsvError readCsv throws for `text` (fails the test if it does not throw one). */
function csvError(text: string, source = 'X.csv'): CsvError {
  try {
    readCsv(text, { source });
  } catch (err) {
    expect(err).toBeInstanceOf(CsvError);
    return err as CsvError;
  }
  throw new Error('readCsv did not throw');
}

describe('readCsv', () => {
  it('reads a matrix without a header', () => {
    const m = readCsv('1,2,3\n4,5,6\n');
    expect(m.header).toBeNull();
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('detects a header row, quoted or not', () => {
    const plain = readCsv('a,b\n1,2\n3,4');
    expect(plain.header).toEqual(['a', 'b']);
    expect([plain.rows, plain.cols]).toEqual([2, 2]);
    const quoted = readCsv('"x, first","say ""hi""",3\n1,2,3\n');
    expect(quoted.header).toEqual(['x, first', 'say "hi"', '3']);
    expect(Array.from(quoted.data)).toEqual([1, 2, 3]);
    // A quoted numeric name is still a header; a row with one text cell is a header too.
    expect(readCsv('"1","2"\n5,6').header).toEqual(['1', '2']);
    expect(readCsv('1,b\n5,6').header).toEqual(['1', 'b']);
  });

  it('accepts CRLF, a BOM, spaces around cells, blank trailing lines and number forms', () => {
    const m = readCsv('\uFEFFa,b\r\n 1.5 , -2e-3\r\n.25,+7\r\n\r\n  \n\n');
    expect(m.header).toEqual(['a', 'b']);
    expect(m.rows).toBe(2);
    expect(Array.from(m.data)).toEqual([1.5, Math.fround(-2e-3), 0.25, 7]);
  });

  it('accepts CR line endings (classic Mac exports), counting lines the same way', () => {
    const m = readCsv('a,b\r1,2\r3,4\r\r');
    expect(m.header).toEqual(['a', 'b']);
    expect([m.rows, m.cols]).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4]);
    expect([csvError('1,2\r3,x\r').line, csvError('1,2\r3,x\r').column]).toEqual([2, 2]);
  });

  it('stores float32 values', () => {
    const m = readCsv('0.1\n');
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(m.data[0]).toBe(Math.fround(0.1));
  });

  it('reports a bad cell with file, line and column', () => {
    const e = csvError('a,b,c\n1,2,3\n4,5,6\n1,2,3\n1,2,3\n1,2,3\n7,8,abc\n');
    expect(e).toBeInstanceOf(ValueError);
    expect([e.line, e.column]).toEqual([7, 3]);
    expect(e.message).toBe('X.csv line 7, column 3: "abc" is not a number');
  });

  it('counts lines from 1 in files without a header', () => {
    const e = csvError('1,2\n3,x\n');
    expect([e.line, e.column]).toEqual([2, 2]);
  });

  it('rejects NaN and Infinity with their position', () => {
    for (const bad of ['NaN', 'nan', 'Infinity', '-inf', 'INF']) {
      const e = csvError(`1,2\n3,${bad}\n`);
      expect([e.line, e.column]).toEqual([2, 2]);
      expect(e.message).toContain('not a finite number');
    }
    const big = csvError('1,2\n1e39,0\n');
    expect([big.line, big.column]).toEqual([2, 1]);
    expect(big.message).toContain('float32 range');
  });

  it('rejects things Number() would accept but are not decimal numbers', () => {
    for (const bad of ['0x10', '1_000', '1,5e', '--1', '1.2.3', '\t']) {
      expect(() => readCsv(`1,2\n${bad},2\n`)).toThrow(CsvError);
    }
  });

  it('reports an empty cell', () => {
    const e = csvError('1,2,3\n4,,6\n');
    expect([e.line, e.column]).toEqual([2, 2]);
    expect(e.message).toBe('X.csv line 2, column 2: empty cell (expected a number)');
    // In the first row too: numbers and a gap are a data row, not a header (which would drop it).
    const first = csvError('1,,3\n4,5,6\n');
    expect([first.line, first.column]).toEqual([1, 2]);
    // Data to predict with its label column left empty keeps every row.
    const m = readCsv('1,2,\n4,5,\n', { column: () => ({ index: 2, mode: 'ignored' }) });
    expect(m.header).toBeNull();
    expect(m.rows).toBe(2);
    expect(Array.from(m.data)).toEqual([1, 2, NaN, 4, 5, NaN]);
    // A header with an empty name beside text names (pandas' index column) is still a header.
    expect(readCsv(',a,label\n0,1,2\n').header).toEqual(['', 'a', 'label']);
  });

  it('a first row is a header only when a cell names its column: gaps, all-quoted files and the ignored column name nothing', () => {
    const ignoreLast = { column: () => ({ index: 2, mode: 'ignored' as const }) };
    // Data to predict with a text placeholder in its ignored label column: line 1 was taken for
    // a header and dropped, shifting every prediction by a row.
    for (const mark of ['?', 'unknown']) {
      const m = readCsv(`1.5,2.5,${mark}\n4,5,${mark}\n7,8,${mark}\n`, ignoreLast);
      expect(m.header, mark).toBeNull();
      expect(m.rows, mark).toBe(3);
      expect(Array.from(m.data), mark).toEqual([1.5, 2.5, NaN, 4, 5, NaN, 7, 8, NaN]);
    }
    // Other columns still name theirs; and a pick that needs a header (a label by name) ignores nothing.
    const named = readCsv('x,y,label\n1.5,2.5,?\n4,5,?\n', ignoreLast);
    expect(named.header).toEqual(['x', 'y', 'label']);
    expect(named.rows).toBe(2);
    const byName = readCsv('x,y,label\n1.5,2.5,0\n', { column: (h) => ({ index: h!.indexOf('label'), mode: 'exact' }) });
    expect(byName.header).toEqual(['x', 'y', 'label']);
    // A one-column file: its name over a bad cell is still a header, the cell reported on line 2.
    expect(csvError('c0\nx\n').message).toBe('X.csv line 2, column 1: "x" is not a number');
    // A missing value in line 1 is refused as on any other line, not dropped with the row.
    for (const gap of ['NA', '?', 'null', 'NaN', 'N/A']) {
      const e = csvError(`0.5,${gap},1\n0.2,0.3,0\n`);
      expect([e.line, e.column], gap).toEqual([1, 2]);
      expect(e.message, gap).toMatch(/^X\.csv line 1, column 2: ".+" is not (a number|a finite number)/);
    }
    // A file that quotes every cell (Python's csv.QUOTE_ALL): its first row is data.
    const quoted = readCsv('"1.25","2","0"\n"0.5","1","1"\n');
    expect(quoted.header).toBeNull();
    expect(Array.from(quoted.data)).toEqual([1.25, 2, 0, 0.5, 1, 1]);
    expect(readCsv('"a","b"\n"1","2"\n').header).toEqual(['a', 'b']);
    // A name over a gap in line 2 still names its column (the gap is reported on line 2).
    expect(csvError('a\nNA\n').message).toBe('X.csv line 2, column 1: "NA" is not a number');
    expect(readCsv('a,b\n1,2\n').header).toEqual(['a', 'b']);
  });

  it('a header of numeric names over an index column (pandas\' DataFrame(X).to_csv()) is refused, saying so', () => {
    const e = csvError(',0,1,2\n0,1.5,2.5,3.5\n1,4,5,6\n');
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.message).toMatch(/^X\.csv line 1, column 1: empty cell \(expected a number\); line 1 looks like a header of numeric column names/);
    expect(e.message).toMatch(/index column/);
    expect(e.message).toMatch(/to_csv\(index=False, header=False\)/);
    // Not when line 2 has gaps too (missing values), nor when line 1's numbers are not integers (not names).
    expect(csvError('1,,3\n4,,6\n').message).toBe('X.csv line 1, column 2: empty cell (expected a number)');
    expect(csvError('1.5,,3\n4,5,6\n').message).toBe('X.csv line 1, column 2: empty cell (expected a number)');
    expect(csvError(',0,1\n').message).toBe('X.csv line 1, column 1: empty cell (expected a number)');
    // Nor when the gap is not the first cell (pandas' index column comes first).
    expect(csvError('1,,2\n1,2,3\n').message).toBe('X.csv line 1, column 2: empty cell (expected a number)');
  });

  it('a first line 0,1,…,n−1 (pandas\' header for unnamed columns, to_csv(index=False)) is refused, saying how to get through', () => {
    const e = csvError('0,1,2\n1.5,2.5,3\n4,5,6\n');
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.message).toMatch(/^X\.csv line 1 is 0, 1, 2: it looks like the header pandas' DataFrame\(X\)\.to_csv\(index=False\) writes/);
    expect(e.message).toMatch(/header=False/);
    expect(e.message).toMatch(/if line 1 is data, add a header row naming the columns/);
    const wide = Array.from({ length: 65 }, (_, k) => k).join(',');
    const pixels = Array.from({ length: 65 }, (_, k) => k % 17).join(','); // 64 is past every other row's column 64
    expect(csvError(`${wide}\n${pixels}\n${pixels}\n`).message).toMatch(/^X\.csv line 1 is 0, 1, …, 64: /);
    // The ways through: a header row above it, or names that are not numbers (quoted numbers are names too).
    expect(Array.from(readCsv('a,b,c\n0,1,2\n').data)).toEqual([0, 1, 2]);
    expect(readCsv('"0","1"\n5,6\n').header).toEqual(['0', '1']);
    // Other first rows of integers are data: not from 0, out of order, 0.0, one column, the only
    // line, 0, 1, …, n−1 within most of its columns' ranges below (binary data), two columns (a
    // counter from 0 beside a value) or one row below: too little to tell.
    for (const data of ['1,2,3\n4,5,6\n', '0,2,1\n4,5,6\n', '0.0,1,2\n4,5,6\n', '0\n1\n', '0,1,2\n', '0,1,1\n1,0,0\n1,1,0\n0,0,1\n',
      `${wide}\n${wide}\n`, '0,1\n1,3\n2,5\n', '0,1,2\n0.5,0.3,0.1\n']) {
      expect(readCsv(data).header, JSON.stringify(data)).toBeNull();
    }
    // A column with no value below (predict's ignored label column) does not count: it made any
    // such first row "out of place".
    const ignoring = readCsv('0,1,2\n0,1,\n1,0,\n', { column: () => ({ index: 2, mode: 'ignored' }) });
    expect(Array.from(ignoring.data.subarray(0, 2))).toEqual([0, 1]);
  });

  it('reports ragged rows', () => {
    const long = csvError('a,b,c\n1,2,3\n1,2,3\n1,2,3\n1,2,3,4\n');
    expect([long.line, long.column]).toEqual([5, 4]);
    expect(long.message).toBe('X.csv line 5 has 4 columns, expected 3 columns (like the header)');
    const short = csvError('1,2,3\n1,2\n');
    expect([short.line, short.column]).toEqual([2, 3]);
    expect(short.message).toBe('X.csv line 2 has 2 columns, expected 3 columns (like line 1)');
    const blank = csvError('1,2\n\n3,4\n');
    expect(blank.line).toBe(2);
    expect(blank.message).toContain('line 2 is blank');
    const leading = csvError('\n1,2\n');
    expect([leading.line, leading.column]).toEqual([1, 1]);
    expect(leading.message).toBe('X.csv line 1 is blank (expected a header or the first row of numbers)');
  });

  it('reports empty files and a header without data', () => {
    for (const empty of ['', '\n\n', '\r\n  \r\n']) {
      const e = csvError(empty);
      expect(e.message).toBe('X.csv is empty (expected rows of comma-separated numbers)');
      expect([e.line, e.column]).toEqual([1, 1]);
    }
    expect(csvError('a,b\n\n').message).toBe('X.csv has a header row but no data rows');
  });

  it('refuses binary files and UTF-16 text (NUL bytes) as such', () => {
    // .xlsx is a zip ("PK\x03\x04..."); Excel's "Unicode text" is UTF-16, read as UTF-8 it has a NUL after every ASCII byte.
    const zip = csvError('PK\u0003\u0004\u0014\u0000\u0000\u0000xl/sheet1.xml\n1,2\n');
    const utf16 = csvError('\uFFFD\uFFFDa\u0000,\u0000b\u0000\n\u00001\u0000,\u00002\u0000\n');
    for (const e of [zip, utf16]) {
      expect(e.message).toBe('X.csv is not a text CSV: it has NUL bytes (a binary file such as .xlsx, or UTF-16 text?); save it as CSV, UTF-8');
      expect(e.line).toBe(1);
    }
    expect(csvError('a,b\n1,2\n3\u0000,4\n').line).toBe(3);
  });

  it('refuses semicolon- and tab-separated files as such', () => {
    const semi = csvError('a;b;label\n0,5;1;0\n');
    expect(semi.message).toBe('X.csv line 1 has no commas but semicolons between its cells: only comma-separated files are read (convert semicolons to commas)');
    expect([semi.line, semi.column]).toEqual([1, 1]);
    expect(csvError('1\t2\n3\t4\n').message).toMatch(/^X\.csv line 1 has no commas but tabs between its cells/);
    // One column is still fine, with a quoted name holding a ; or trailing tabs trimmed away.
    expect(readCsv('"a;b"\n1\n').header).toEqual(['a;b']);
    expect(Array.from(readCsv('1\t\n2\n').data)).toEqual([1, 2]);
  });

  it('reports unbalanced quotes', () => {
    const e = csvError('"a,b\n1,2\n');
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.message).toContain('not closed');
    expect(csvError('"a"x,b\n1,2\n').message).toContain('after a closing quote');
  });

  it('names the source, or "CSV" when none is given', () => {
    expect(() => readCsv('1,a\n2,b\n', { source: 'data/in.csv' })).toThrow(/^data\/in\.csv line 2, column 2: "b" is not a number$/);
    expect(() => readCsv('')).toThrow(/^CSV is empty/);
  });
});

describe('writeCsv', () => {
  it('writes rows, with an optional header', () => {
    expect(writeCsv(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3)).toBe('1,2,3\n4,5,6\n');
    expect(writeCsv([0.5, -0.25], 1, 2, ['a', 'b'])).toBe('a,b\n0.5,-0.25\n');
  });

  it('quotes header names that would not read back', () => {
    const text = writeCsv([1, 2, 3, 4], 1, 4, ['x, y', 'say "hi"', '7', ' pad']);
    expect(text.split('\n')[0]).toBe('"x, y","say ""hi""","7"," pad"');
    expect(readCsv(text).header).toEqual(['x, y', 'say "hi"', '7', ' pad']);
    // Names that read as missing values or infinities are quoted too: alone, they name nothing.
    for (const name of ['NA', '?', 'null', 'inf']) {
      const one = writeCsv([1, 2], 2, 1, [name]);
      expect(one, name).toBe(`"${name}"\n1\n2\n`);
      expect(readCsv(one).header, name).toEqual([name]);
    }
  });

  it('round-trips float32 values exactly, with few digits', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = new Float32Array(2000);
    for (let i = 0; i < values.length; i++) values[i] = (rand() - 0.5) * 10 ** Math.floor(rand() * 60 - 30);
    values.set([0, -0, 1, -1, 0.1, 1 / 3, 3.4028234663852886e38, 1.401298464324817e-45, 1e-7, 16777216, 123456789]);
    const back = readCsv(writeCsv(values, 100, 20));
    expect(back.header).toBeNull();
    expect(Array.from(back.data)).toEqual(Array.from(values).map((v) => (Object.is(v, -0) ? 0 : v)));
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatFloat32(0.5)).toBe('0.5');
    expect(formatFloat32(-0)).toBe('0');
  });

  it('refuses NaN, Infinity and mismatched sizes', () => {
    expect(() => writeCsv([1, NaN], 1, 2)).toThrow(/row 1, column 2 is NaN/);
    expect(() => writeCsv([Infinity], 1, 1)).toThrow(ValueError);
    expect(() => writeCsv([1, 2, 3], 2, 2)).toThrow(/2×2 does not match 3 values/);
    expect(() => writeCsv([1, 2], 1, 2, ['a'])).toThrow(/header has 1 names for 2 columns/);
  });

  it('splits large output into whole-line chunks that join to the same text', () => {
    const values = Float32Array.from({ length: 3000 }, (_, i) => i / 7);
    const chunks = Array.from(csvChunks(values, 300, 10, null, { chunkBytes: 1000 }));
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.endsWith('\n')).toBe(true);
    expect(chunks.join('')).toBe(writeCsv(values, 300, 10));
  });
});
