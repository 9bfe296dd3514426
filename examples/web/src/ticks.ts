// Axis tick choices of the training charts, kept apart from uPlot so they can be unit-tested.

/** Whole epochs only on the x axis (uPlot would otherwise label 0.25, 0.5, … early on). */
export const EPOCH_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

/**
 * Log-axis tick labels: plain from 0.001 to 10⁵, powers of ten beyond (1e-7, not uPlot's
 * rounded 0). uPlot passes null for a tick it leaves unlabelled.
 */
export function logTick(t: number | null): string {
  if (t === null) return '';
  if (t === 0) return '0';
  const a = Math.abs(t);
  return a >= 1e-3 && a < 1e5 ? String(Number(t.toPrecision(2))) : t.toExponential(0).replace('e+', 'e');
}

/** Tick steps of a log chart's y axis, which plots log10 of its values: whole decades only. */
export const DECADE_INCRS = [1, 2, 5, 10, 20, 50, 100];

/**
 * A log chart's y range from the least and greatest log10 value plotted (null or not finite:
 * nothing plotted yet), widened to whole decades, at least one, so the ticks fall on powers of ten.
 */
export function decadeRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [-1, 0];
  const lo = Math.floor(min);
  const hi = Math.ceil(max) + 0; // + 0: not −0
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** The label of a log chart's tick at log10 value t: its power of ten, as logTick writes it. */
export function decadeTick(t: number | null): string {
  return t === null ? '' : logTick(10 ** t);
}
