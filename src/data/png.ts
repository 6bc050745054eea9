/**
 * Pixels in bounds -> PNG files: images, and perturbations magnified so that they are visible (the book's
 * Figure 10.2: mid-grey is zero).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import type { Tensor3D } from '../engine/tf.js';
import type { Bounds } from '../models/model.js';
import { checkBounds } from './images.js';
import { byteInBounds } from './png-pixels.js';

/** 8-bit RGB (3 bytes per pixel) or gray (1 byte per pixel) -> PNG bytes. */
export function encodePngBytes(bytes: Uint8Array, height: number, width: number, channels: 1 | 3): Buffer {
  if (bytes.length !== height * width * channels) {
    throw new Error(`encodePng: ${bytes.length} values do not fill ${height}x${width}x${channels}`);
  }
  const colorType = channels === 1 ? 0 : 2;
  const png = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: false });
  png.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false, bitDepth: 8 });
}

/**
 * HWC pixels with values in `bounds` -> a PNG (gray for 1 channel, RGB for 3). Values outside the bounds
 * are clipped; NaN is an error.
 */
export function encodePng(
  pixels: Float32Array | number[],
  height: number,
  width: number,
  channels: 1 | 3,
  bounds: Bounds,
): Buffer {
  if (!Number.isInteger(height) || height < 1 || !Number.isInteger(width) || width < 1) {
    throw new Error(`encodePng: height and width must be positive integers, got ${height}x${width}`);
  }
  if (channels !== 1 && channels !== 3)
    throw new Error(`encodePng: channels must be 1 or 3, got ${String(channels)}`);
  checkBounds(bounds, 'encodePng');
  if (pixels.length !== height * width * channels) {
    throw new Error(`encodePng: ${pixels.length} values do not fill ${height}x${width}x${channels}`);
  }
  const [lo, hi] = bounds;
  const bytes = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i];
    if (Number.isNaN(v)) throw new Error(`encodePng: pixel value ${i} is NaN`);
    bytes[i] = byteInBounds(v, lo, hi);
  }
  return encodePngBytes(bytes, height, width, channels);
}

function shapeOf(image: Tensor3D, what: string): [number, number, 1 | 3] {
  if (image.rank !== 3)
    throw new Error(`${what}: expected an image [height, width, channels], got shape [${image.shape}]`);
  const [h, w, c] = image.shape;
  if (c !== 1 && c !== 3) throw new Error(`${what}: expected 1 or 3 channels, got shape [${image.shape}]`);
  return [h, w, c];
}

/** One image tensor `[H,W,C]` (C = 1 or 3) with values in `bounds` -> PNG bytes. */
export async function tensorToPng(image: Tensor3D, bounds: Bounds): Promise<Buffer> {
  const [h, w, c] = shapeOf(image, 'tensorToPng');
  return encodePng((await image.data()) as Float32Array, h, w, c, bounds);
}

export interface MagnifiedPerturbation {
  /** Values in `bounds`: mid-grey where the perturbation is 0. */
  pixels: Float32Array;
  /** The factor the perturbation was multiplied by (1 for an all-zero perturbation). */
  magnification: number;
}

/**
 * Magnifies a perturbation so that it is visible: value = mid + delta * m with mid = (lo+hi)/2 and m chosen
 * so that the largest |delta| reaches the edge of the bounds. An all-zero perturbation is plain mid-grey.
 */
export function magnifyPerturbation(delta: ArrayLike<number>, bounds: Bounds): MagnifiedPerturbation {
  checkBounds(bounds, 'perturbation');
  const [lo, hi] = bounds;
  let maxAbs = 0;
  for (let i = 0; i < delta.length; i++) {
    const a = Math.abs(delta[i]);
    if (Number.isNaN(a)) throw new Error(`perturbation: value ${i} is NaN`);
    if (a > maxAbs) maxAbs = a;
  }
  const magnification = maxAbs > 0 && Number.isFinite(maxAbs) ? (hi - lo) / 2 / maxAbs : 1;
  const mid = (lo + hi) / 2;
  const pixels = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) pixels[i] = mid + delta[i] * magnification;
  return { pixels, magnification };
}

/** A perturbation `[H,W,C]` as a magnified PNG (mid-grey = 0) and the magnification used. */
export async function perturbationToPng(
  delta: Tensor3D,
  bounds: Bounds,
): Promise<{ png: Buffer; magnification: number }> {
  const [h, w, c] = shapeOf(delta, 'perturbationToPng');
  const { pixels, magnification } = magnifyPerturbation(await delta.data(), bounds);
  return { png: encodePng(pixels, h, w, c, bounds), magnification };
}

/**
 * Writes PNG bytes to `path`, creating its folder. An existing file is never replaced unless
 * `overwrite` is true.
 */
export function writePngFile(
  path: string,
  buffer: Buffer | Uint8Array,
  options: { overwrite?: boolean } = {},
): void {
  if (
    buffer.length < 8 ||
    buffer[0] !== 0x89 ||
    buffer[1] !== 0x50 ||
    buffer[2] !== 0x4e ||
    buffer[3] !== 0x47
  ) {
    throw new Error(`${path}: refusing to write: the data is not a PNG`);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new Error(`${path}: cannot create its folder (${(error as Error).message})`, { cause: error });
  }
  try {
    writeFileSync(path, buffer, { flag: options.overwrite === true ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new Error(`${path}: file exists; refusing to overwrite it (pass overwrite: true)`, {
        cause: error,
      });
    throw new Error(`${path}: cannot write (${(error as Error).message})`, { cause: error });
  }
}
