// Per-epoch progress on stderr for `sigmoid-core train`: on a terminal one line rewritten
// in place (\r, then clear to the end of the line), elsewhere (a pipe, a CI log) one line
// per epoch, and nothing at all when quiet. Also the number formats the commands share.

export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy?: number | null;
  valLoss?: number | null;
  valAccuracy?: number | null;
  /** What the validation numbers are called on screen, e.g. 'test'. */
  valName?: string;
  samplesPerSecond?: number | null;
  /** Seconds since training started. */
  elapsed?: number | null;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class Progress {
  readonly #stream: ProgressStream | null;
  readonly #tty: boolean;
  #open = false;

  /** stream null: quiet. */
  constructor(stream: ProgressStream | null) {
    this.#stream = stream;
    this.#tty = stream?.isTTY === true;
  }

  update(p: EpochProgress): void {
    if (!this.#stream) return;
    let line = formatEpoch(p, this.#tty);
    if (this.#tty) {
      const width = this.#stream.columns;
      if (width !== undefined && width > 20 && line.length > width - 1) line = line.slice(0, width - 1);
      this.#stream.write(`\r${line}\x1b[K`);
      this.#open = true;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  /** Ends the in-place line (if any) so later output starts on a fresh line. */
  done(): void {
    if (this.#open) this.#stream?.write('\n');
    this.#open = false;
  }
}

/** `epoch  7/30 [#######.......] loss 0.1234  acc 0.9712  test acc 0.9644  52,300 samples/s`. */
export function formatEpoch(p: EpochProgress, bar: boolean): string {
  const w = String(p.epochs).length;
  const parts = [`epoch ${String(p.epoch).padStart(w)}/${p.epochs}`];
  if (bar) {
    const n = 20;
    const filled = Math.round((n * p.epoch) / Math.max(1, p.epochs));
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(n - filled)}]`);
  }
  parts.push(`loss ${fmtLoss(p.loss)}`);
  if (isNum(p.accuracy)) parts.push(`acc ${p.accuracy.toFixed(4)}`);
  const v = p.valName ?? 'val';
  if (isNum(p.valLoss)) parts.push(`${v} loss ${fmtLoss(p.valLoss)}`);
  if (isNum(p.valAccuracy)) parts.push(`${v} acc ${p.valAccuracy.toFixed(4)}`);
  if (isNum(p.samplesPerSecond)) parts.push(`${fmtRate(p.samplesPerSecond)} samples/s`);
  if (isNum(p.elapsed)) parts.push(`${p.elapsed.toFixed(1)} s`);
  return parts.join('  ');
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

export function fmtLoss(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

export function fmtRate(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

/** A count and its noun: `1 row`, `2 rows` (`many`: the plural when it is not the noun + s). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${noun(n, one, many)}`;
}

/** The noun alone, as plural() chooses it for n: `class` for 1, `classes` for more (before a list, say). */
export function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}
