// Class colours shared by the decision-boundary map and the data points.
export const CLASS_RGB: readonly (readonly [number, number, number])[] = [
  [37, 99, 235], [234, 88, 12], [22, 163, 74], [147, 51, 234], [220, 38, 38],
  [8, 145, 178], [202, 138, 4], [219, 39, 119], [100, 116, 139], [5, 150, 105],
];

export function classRgb(k: number): readonly [number, number, number] {
  return CLASS_RGB[k % CLASS_RGB.length]!;
}

export function css(rgb: readonly [number, number, number]): string {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}
