/**
 * The pure pixel rules of advx's PNGs, shared by Node (image-decode.ts, png.ts) and the browser
 * (src/browser/images.ts) so that both see and write the same bytes: decoded RGBA becomes RGB composited
 * on white, and values in bounds become bytes by clipping, scaling and rounding. No Node module here.
 */
import type { DecodedImage } from './image-decode.js';

/**
 * RGBA bytes -> RGB. Transparent pixels are composited on WHITE (c * a + 255 * (1 - a), a in [0,1]): a
 * transparent background becomes white, as on a page, not the black that dropping alpha would give.
 */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): DecodedImage {
  if (rgba.length !== width * height * 4)
    throw new Error(`image: ${rgba.length} bytes for ${width}x${height} RGBA pixels`);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    const a = rgba[p + 3];
    const white = 255 * (255 - a);
    for (let c = 0; c < 3; c++)
      data[q + c] = a === 255 ? rgba[p + c] : Math.round((rgba[p + c] * a + white) / 255);
  }
  return { width, height, data };
}

/** A value in [lo, hi] -> a byte: clipped to the bounds, scaled to 0..255 and rounded. */
export function byteInBounds(v: number, lo: number, hi: number): number {
  const t = (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo);
  return Math.round(t * 255);
}
