// Colours and heat-map pixels shared by the decision-boundary map, the Gram view and the
// data points.
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

/** Pixel i of img: rgb blended with white by t (0: white, 1: the full colour). */
export function setTint(img: ImageData, i: number, rgb: readonly [number, number, number], t: number): void {
  img.data[4 * i] = Math.round(255 + (rgb[0] - 255) * t);
  img.data[4 * i + 1] = Math.round(255 + (rgb[1] - 255) * t);
  img.data[4 * i + 2] = Math.round(255 + (rgb[2] - 255) * t);
  img.data[4 * i + 3] = 255;
}

/** Draws img scaled onto w×h pixels of ctx (smoothed or as blocks). */
export function drawScaled(ctx: CanvasRenderingContext2D, img: ImageData, w: number, h: number, smooth: boolean): void {
  const off = new OffscreenCanvas(img.width, img.height);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(off, 0, 0, w, h);
}
