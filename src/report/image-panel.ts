/**
 * An image panel: one PNG with, per row, original | magnified perturbation | adversarial, side by side on
 * white with a small gap, upscaled by an integer factor (nearest neighbour) so small images stay visible.
 * Captions are accepted but not drawn (no text rendering).
 */
import type { Tensor3D } from '../engine/tf.js';
import type { Bounds } from '../models/model.js';
import { checkBounds } from '../data/images.js';
import { encodePngBytes, magnifyPerturbation } from '../data/png.js';

export interface PanelRow {
  original: Tensor3D;
  perturbation: Tensor3D;
  adversarial: Tensor3D;
  caption?: string;
}

export interface PanelOptions {
  /** Integer upscaling factor; default: the smallest that makes images at least 112 px on each side. */
  scale?: number;
  /** White gap between and around images, in output pixels (default 4). */
  gap?: number;
}

const MIN_SIDE = 112;

/** The default upscaling factor for images of `height` x `width`. */
export function defaultPanelScale(height: number, width: number): number {
  return Math.max(1, Math.ceil(MIN_SIDE / Math.min(height, width)));
}

function toBytes(values: ArrayLike<number>, bounds: Bounds): Uint8Array {
  const [lo, hi] = bounds;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new Error('imagePanel: an image contains NaN');
    out[i] = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * 255);
  }
  return out;
}

/** Builds the panel PNG. All images must share one shape `[H,W,C]` with C = 1 or 3. */
export async function imagePanel(
  rows: PanelRow[],
  bounds: Bounds,
  options: PanelOptions = {},
): Promise<Buffer> {
  if (rows.length === 0) throw new Error('imagePanel: no rows given');
  checkBounds(bounds, 'imagePanel');
  const shape = rows[0].original.shape;
  if (shape.length !== 3 || (shape[2] !== 1 && shape[2] !== 3)) {
    throw new Error(`imagePanel: images must be [height, width, 1 or 3], got [${shape}]`);
  }
  const [h, w, c] = shape;
  rows.forEach((row, r) => {
    for (const key of ['original', 'perturbation', 'adversarial'] as const) {
      const s = row[key].shape;
      if (s.length !== 3 || s[0] !== h || s[1] !== w || s[2] !== c) {
        throw new Error(`imagePanel: row ${r} ${key} has shape [${s}], expected [${shape}]`);
      }
    }
  });
  const scale = options.scale ?? defaultPanelScale(h, w);
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`imagePanel: scale must be a positive integer, got ${scale}`);
  const gap = options.gap ?? 4;
  if (!Number.isInteger(gap) || gap < 0)
    throw new Error(`imagePanel: gap must be a non-negative integer, got ${gap}`);

  const cellW = w * scale;
  const cellH = h * scale;
  const width = 3 * cellW + 4 * gap;
  const height = rows.length * cellH + (rows.length + 1) * gap;
  const out = new Uint8Array(width * height * 3).fill(255);

  const paste = (img: Uint8Array, top: number, left: number): void => {
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      let o = ((top + y) * width + left) * 3;
      for (let x = 0; x < cellW; x++, o += 3) {
        const p = (sy * w + Math.floor(x / scale)) * c;
        if (c === 3) {
          out[o] = img[p];
          out[o + 1] = img[p + 1];
          out[o + 2] = img[p + 2];
        } else {
          out[o] = out[o + 1] = out[o + 2] = img[p];
        }
      }
    }
  };

  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const top = gap + r * (cellH + gap);
    const delta = magnifyPerturbation(await row.perturbation.data(), bounds);
    const cells = [
      toBytes(await row.original.data(), bounds),
      toBytes(delta.pixels, bounds),
      toBytes(await row.adversarial.data(), bounds),
    ];
    cells.forEach((img, k) => paste(img, top, gap + k * (cellW + gap)));
  }
  return encodePngBytes(out, height, width, 3);
}
