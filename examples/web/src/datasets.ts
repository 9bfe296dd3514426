// Datasets of the playground: four seeded 2-D classification problems generated in the page
// (XOR, two moons, two spirals, Gaussian blobs) and the UCI digits (64 features, 10 classes)
// read from data/digits.csv and standardised. Every dataset is shuffled (seeded) so that the
// validation split — the last rows — draws from every class.
import { seededRandom, shuffleInPlace, type Random } from '../../../src/index.js';

export type DatasetName = 'xor' | 'moons' | 'spirals' | 'blobs' | 'digits';

export interface Dataset {
  name: DatasetName;
  /** Row-major features, rows × cols. */
  x: Float32Array;
  rows: number;
  cols: number;
  /** Class index per row, 0..classes−1. */
  labels: Int32Array;
  classes: number;
  /** Feature range to draw the decision boundary over (2-D datasets only). */
  extent: { x0: number; x1: number; y0: number; y1: number } | null;
}

export const DATASET_LABELS: Record<DatasetName, string> = {
  xor: 'XOR (4 clusters)',
  moons: 'Two moons',
  spirals: 'Two spirals',
  blobs: 'Gaussian blobs (3 classes)',
  digits: 'Digits (UCI, 64 features, 10 classes)',
};

/** A standard normal sample (Box–Muller). */
function gauss(r: Random): number {
  const u = 1 - r.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

type Point = [number, number, number]; // x, y, label

function xor(r: Random, n: number): Point[] {
  const pts: Point[] = [];
  for (let i = 0; i < n; i++) {
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = (i >> 1) % 2 === 0 ? 1 : -1;
    pts.push([sx * 0.5 + 0.15 * gauss(r), sy * 0.5 + 0.15 * gauss(r), sx * sy > 0 ? 0 : 1]);
  }
  return pts;
}

function moons(r: Random, n: number): Point[] {
  const pts: Point[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * r.next();
    const x = c === 0 ? Math.cos(t) : 1 - Math.cos(t);
    const y = c === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
    pts.push([x - 0.5 + 0.1 * gauss(r), y - 0.25 + 0.1 * gauss(r), c]);
  }
  return pts;
}

function spirals(r: Random, n: number): Point[] {
  const pts: Point[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = 0.25 + 2.75 * Math.PI * r.next();
    const rad = t / (3 * Math.PI);
    const a = t + c * Math.PI;
    pts.push([rad * Math.cos(a) + 0.03 * gauss(r), rad * Math.sin(a) + 0.03 * gauss(r), c]);
  }
  return pts;
}

function blobs(r: Random, n: number): Point[] {
  const centres = [[-0.6, -0.4], [0.6, -0.4], [0, 0.6]] as const;
  const pts: Point[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const [cx, cy] = centres[c]!;
    pts.push([cx + 0.25 * gauss(r), cy + 0.25 * gauss(r), c]);
  }
  return pts;
}

const GENERATORS = { xor, moons, spirals, blobs } as const;

function fromPoints(name: DatasetName, pts: Point[], classes: number): Dataset {
  const x = new Float32Array(pts.length * 2);
  const labels = new Int32Array(pts.length);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  pts.forEach(([px, py, l], i) => {
    x[2 * i] = px;
    x[2 * i + 1] = py;
    labels[i] = l;
    x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py);
  });
  const pad = 0.1 * Math.max(x1 - x0, y1 - y0);
  return { name, x, rows: pts.length, cols: 2, labels, classes, extent: { x0: x0 - pad, x1: x1 + pad, y0: y0 - pad, y1: y1 + pad } };
}

/** Parses data/digits.csv (header row, 64 pixel columns, label last) and standardises the pixels. */
function digits(csv: string, r: Random): Dataset {
  const lines = csv.trim().split(/\r?\n/).slice(1);
  shuffleInPlace(lines, r);
  const cols = 64;
  const x = new Float32Array(lines.length * cols);
  const labels = new Int32Array(lines.length);
  lines.forEach((line, i) => {
    const v = line.split(',').map(Number);
    for (let c = 0; c < cols; c++) x[i * cols + c] = v[c]!;
    labels[i] = v[cols]!;
  });
  // Standardise every column (the playground shows training, not a held-out benchmark:
  // statistics over all rows keep it simple).
  for (let c = 0; c < cols; c++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < lines.length; i++) s += x[i * cols + c]!;
    const mean = s / lines.length;
    for (let i = 0; i < lines.length; i++) s2 += (x[i * cols + c]! - mean) ** 2;
    const std = Math.sqrt(s2 / lines.length) || 1;
    for (let i = 0; i < lines.length; i++) x[i * cols + c] = (x[i * cols + c]! - mean) / std;
  }
  return { name: 'digits', x, rows: lines.length, cols, labels, classes: 10, extent: null };
}

/** Makes (or loads) a dataset; `points` applies to the generated 2-D sets. */
export async function loadDataset(name: DatasetName, seed: number, points = 200): Promise<Dataset> {
  const r = seededRandom(seed);
  if (name === 'digits') {
    const csv = (await import('../../../data/digits.csv?raw')).default;
    return digits(csv, r);
  }
  const pts = shuffleInPlace(GENERATORS[name](r, points), r);
  return fromPoints(name, pts, name === 'blobs' ? 3 : 2);
}
