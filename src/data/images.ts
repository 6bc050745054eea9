/**
 * Image files -> a model's input batch: decode, resize (or crop), convert channels, map [0,255] linearly
 * into the model's bounds. `load(files, model)` is the `images.load` of the public API.
 */
import { readFile } from 'node:fs/promises';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Bounds, Model } from '../models/model.js';
import { checkImageFile, decodeImage, type DecodedImage } from './image-decode.js';
import { resolveImageLimits, type ImageLimits } from './image-limits.js';
import { resizeCoverAndCenterCrop, resizeRgb } from './image-resize.js';
import { resizeNearest } from './image-resize-nearest.js';

/**
 * How an image of another shape is fitted to the target: `crop` keeps the aspect ratio (scale so the
 * image covers the target enlarged by 256/224, then take the centre, the ImageNet recipe); `stretch`
 * resizes to exactly the target size (antialiased); `keras` resizes to exactly the target size with PIL's
 * NEAREST, as Keras' `image.load_img(path, target_size=...)` does (the book's pipeline).
 */
export type Fit = 'crop' | 'stretch' | 'keras';

export const FITS: readonly Fit[] = ['crop', 'stretch', 'keras'];

/** The size and bounds images are fitted to, and the limits on what is decoded (image-limits.ts). */
export interface ImageTarget extends ImageLimits {
  height: number;
  width: number;
  channels: 1 | 3;
  bounds: Bounds;
  /** Default: `defaultFit(height, width)`. */
  fit?: Fit;
}

/** `crop` for inputs of at least 64 px on both sides (photo models), `stretch` for small ones (MNIST). */
export function defaultFit(height: number, width: number): Fit {
  return Math.min(height, width) >= 64 ? 'crop' : 'stretch';
}

export function checkBounds(bounds: Bounds, where: string): void {
  const [lo, hi] = bounds;
  // hi - lo must be finite too: pixels are lo + v * (hi - lo) / 255.
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi && Number.isFinite(hi - lo))) {
    throw new Error(`${where}: bounds must be two finite numbers lo < hi, got [${bounds.join(', ')}]`);
  }
}

function checkTarget(target: ImageTarget): void {
  const { height, width, channels, fit } = target;
  if (!Number.isInteger(height) || height < 1 || !Number.isInteger(width) || width < 1) {
    throw new Error(`loadImages: target height and width must be positive integers, got ${height}x${width}`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`loadImages: target channels must be 1 or 3, got ${String(channels)}`);
  }
  checkBounds(target.bounds, 'loadImages');
  resolveImageLimits(target);
  if (fit !== undefined && !FITS.includes(fit)) {
    throw new Error(
      `loadImages: fit must be ${FITS.map((f) => `'${f}'`).join(' or ')}, got '${String(fit)}'`,
    );
  }
}

/** Luminance (ITU-R 601-2, as PIL's convert('L')), rounded to an integer 0..255. */
export function luminance(r: number, g: number, b: number): number {
  return r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

/** Fits a decoded image to `target`'s size (an image already of that size is used as it is). */
export function fitImage(
  img: DecodedImage,
  target: Pick<ImageTarget, 'height' | 'width' | 'fit'>,
): DecodedImage {
  const { height, width } = target;
  if (img.width === width && img.height === height) return img;
  const fit = target.fit ?? defaultFit(height, width);
  if (fit === 'keras') return resizeNearest(img, width, height);
  return fit === 'crop' ? resizeCoverAndCenterCrop(img, width, height) : resizeRgb(img, width, height);
}

/**
 * One decoded image as `height*width*channels` floats in `target.bounds` (HWC), written into `out` at
 * `offset` when given.
 */
export function imageToPixels(
  img: DecodedImage,
  target: ImageTarget,
  out: Float32Array = new Float32Array(target.height * target.width * target.channels),
  offset = 0,
): Float32Array {
  checkTarget(target);
  const fitted = fitImage(img, target);
  const [lo, hi] = target.bounds;
  // A lookup table per byte value; (v * range) / 255 keeps [0,1] values identical to v / 255.
  const table = Float32Array.from({ length: 256 }, (_, v) => lo + (v * (hi - lo)) / 255);
  const d = fitted.data;
  const n = fitted.width * fitted.height;
  if (target.channels === 3) {
    for (let i = 0; i < n * 3; i++) out[offset + i] = table[d[i]];
  } else {
    for (let i = 0; i < n; i++) out[offset + i] = table[luminance(d[3 * i], d[3 * i + 1], d[3 * i + 2])];
  }
  return out;
}

/**
 * Reads, decodes and fits image files into one `[N,H,W,C]` batch with values in `target.bounds`. Each
 * file's header is checked against the target's limits (`maxPixels`, `maxDecodedBytes`) before decoding.
 */
export async function loadImages(files: string[], target: ImageTarget): Promise<Tensor4D> {
  if (files.length === 0) throw new Error('loadImages: no image files given');
  checkTarget(target);
  const { height, width, channels } = target;
  const size = height * width * channels;
  const pixels = new Float32Array(files.length * size);
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    checkImageFile(file, target);
    const bytes = await readFile(file).catch((error: Error) => {
      throw new Error(`${file}: cannot read (${error.message})`, { cause: error });
    });
    imageToPixels(decodeImage(bytes, file, target), target, pixels, i * size);
  }
  await initEngine();
  return tf.tensor4d(pixels, [files.length, height, width, channels]);
}

export interface LoadImagesOptions extends ImageLimits {
  /** How images of another shape are fitted (default: `defaultFit` of the model's input size). */
  fit?: Fit;
}

/** `loadImages` with the target taken from a model: its input shape and bounds. */
export function loadImagesFor(
  files: string[],
  model: Pick<Model, 'inputShape' | 'bounds'>,
  { fit, maxPixels, maxDecodedBytes }: LoadImagesOptions = {},
): Promise<Tensor4D> {
  const [height, width, channels] = model.inputShape;
  if (channels !== 1 && channels !== 3) {
    return Promise.reject(
      new Error(`loadImages: models with ${channels} input channels are not supported (1 or 3)`),
    );
  }
  return loadImages(files, {
    height,
    width,
    channels,
    bounds: model.bounds,
    fit,
    maxPixels,
    maxDecodedBytes,
  });
}

/** `images.load(files, model)`: the name the public API uses. */
export const load = loadImagesFor;
