/**
 * Images in the browser: a photo (file, blob, <img>, canvas, ImageBitmap or ImageData) -> a model's input
 * batch `[1,H,W,C]` in its bounds, fitted as in Node (`crop` for photo models, `stretch` for small inputs,
 * PIL's resampling), and tensors back to ImageData, canvases and PNG data URLs.
 *
 * The pixel pipeline is Node's (src/data/images.ts, image-decode.ts: JPEGs decoded by jpeg-js, alpha
 * composited on white and values mapped to bytes by src/data/png-pixels.ts, which both share, ITU-R
 * 601-2 luminance, a linear map of [0,255] into the bounds), so that a photo gives the page the same
 * input as the CLI.
 */
import jpeg from 'jpeg-js';
import { tf, type Tensor3D, type Tensor4D } from '../engine/tf.js';
import type { DecodedImage } from '../data/image-decode.js';
import type { Fit } from '../data/images.js';
import { resizeCoverAndCenterCrop, resizeRgb } from '../data/image-resize.js';
import { resizeNearest } from '../data/image-resize-nearest.js';
import { byteInBounds, rgbaToRgb } from '../data/png-pixels.js';
import type { Bounds, Model } from '../models/model.js';

export type { Fit };
export { rgbaToRgb };

/** What a browser can draw: every one of these works with `drawImage`, or is ImageData already. */
export type PixelSource =
  ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas;

export type ImageTarget = Pick<Model, 'inputShape' | 'bounds'> & { fit?: Fit };

function checkBounds(bounds: Bounds, where: string): void {
  const [lo, hi] = bounds;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
    throw new Error(`${where}: bounds must be two finite numbers lo < hi, got [${bounds.join(', ')}]`);
}

/** `crop` for inputs of at least 64 px on both sides (photo models), `stretch` for small ones. */
export function defaultFit(height: number, width: number): Fit {
  return Math.min(height, width) >= 64 ? 'crop' : 'stretch';
}

/** Luminance (ITU-R 601-2, as PIL's convert('L')), rounded to an integer 0..255. */
function luminance(r: number, g: number, b: number): number {
  return r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
}

function fitImage(img: DecodedImage, height: number, width: number, fit: Fit): DecodedImage {
  if (img.width === width && img.height === height) return img;
  if (fit === 'keras') return resizeNearest(img, width, height);
  return fit === 'crop' ? resizeCoverAndCenterCrop(img, width, height) : resizeRgb(img, width, height);
}

/** An RGB image -> `[1,H,W,C]` in the target's bounds (fitted to its size; C = 1 takes the luminance). */
function toInput(img: DecodedImage, target: ImageTarget): Tensor4D {
  const [height, width, channels] = target.inputShape;
  if (channels !== 1 && channels !== 3)
    throw new Error(`image: models with ${channels} input channels are not supported (1 or 3)`);
  checkBounds(target.bounds, 'image');
  const fit = target.fit ?? defaultFit(height, width);
  if (!['crop', 'stretch', 'keras'].includes(fit))
    throw new Error(`image: fit must be 'crop', 'stretch' or 'keras', got '${String(fit)}'`);
  const fitted = fitImage(img, height, width, fit);
  const [lo, hi] = target.bounds;
  const table = Float32Array.from({ length: 256 }, (_, v) => lo + (v * (hi - lo)) / 255);
  const n = width * height;
  const d = fitted.data;
  const pixels = new Float32Array(n * channels);
  if (channels === 3) for (let i = 0; i < n * 3; i++) pixels[i] = table[d[i]];
  else for (let i = 0; i < n; i++) pixels[i] = table[luminance(d[3 * i], d[3 * i + 1], d[3 * i + 2])];
  return tf.tensor4d(pixels, [1, height, width, channels]);
}

/** ImageData -> `[1,H,W,C]` in the target's bounds (fitted to its size; C = 1 takes the luminance). */
export function fromImageData(image: ImageData, target: ImageTarget): Tensor4D {
  return toInput(rgbaToRgb(image.data, image.width, image.height), target);
}

function naturalSize(source: Exclude<PixelSource, ImageData>): [number, number] {
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement)
    return [source.naturalWidth, source.naturalHeight];
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement)
    return [source.videoWidth, source.videoHeight];
  return [source.width, source.height];
}

/** A 2D canvas of `width` x `height` (OffscreenCanvas where there is no document, e.g. in a worker). */
function canvas2d(width: number, height: number) {
  const canvas =
    typeof document !== 'undefined'
      ? Object.assign(document.createElement('canvas'), { width, height })
      : new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true }) as
    CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (context === null) throw new Error('image: this browser gives no 2D canvas');
  return { canvas, context };
}

/** The RGBA pixels of anything drawable, at its natural size. */
export function imageDataOf(source: PixelSource): ImageData {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) return source;
  const drawable = source as Exclude<PixelSource, ImageData>;
  const [width, height] = naturalSize(drawable);
  if (!(width > 0 && height > 0)) throw new Error('image: the source has no pixels (not loaded yet?)');
  const { context } = canvas2d(width, height);
  context.drawImage(drawable, 0, 0);
  return context.getImageData(0, 0, width, height);
}

/** Anything drawable -> `[1,H,W,C]` in the model's bounds. */
export function fromSource(source: PixelSource, target: ImageTarget): Tensor4D {
  return fromImageData(imageDataOf(source), target);
}

const isJpeg = (bytes: Uint8Array) =>
  bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/** A JPEG decoded by jpeg-js with the options advx uses in Node, so that the page sees the same pixels. */
function decodeJpeg(bytes: Uint8Array, source: string): DecodedImage {
  try {
    const { width, height, data } = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxMemoryUsageInMB: 1024,
    });
    return { width, height, data };
  } catch (error) {
    throw new Error(`${source}: cannot decode this JPEG: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * An encoded image (a File from an <input>, a fetched Blob) -> `[1,H,W,C]` in the model's bounds. JPEGs
 * are decoded as in Node (jpeg-js), so that results match the CLI's to the pixel; other formats by the
 * browser, without colour-profile conversion.
 */
export async function fromBlob(blob: Blob, target: ImageTarget): Promise<Tensor4D> {
  const name = (blob as File).name ?? 'image';
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (isJpeg(bytes)) return toInput(decodeJpeg(bytes, name), target);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new Error(`${name}: cannot decode this image (${(error as Error).message})`, { cause: error });
  }
  try {
    return fromSource(bitmap, target);
  } finally {
    bitmap.close();
  }
}

function singleImage(image: Tensor3D | Tensor4D, where: string): Tensor3D {
  if (image.rank === 4 && image.shape[0] !== 1)
    throw new Error(`${where}: expected one image, got a batch of ${image.shape[0]}`);
  const one = (
    image.rank === 4 ? tf.reshape(image, image.shape.slice(1) as [number, number, number]) : image
  ) as Tensor3D;
  if (one.rank !== 3 || (one.shape[2] !== 1 && one.shape[2] !== 3))
    throw new Error(`${where}: images must be [height, width, 1 or 3], got [${image.shape}]`);
  return one;
}

/** An image `[H,W,C]` (or `[1,H,W,C]`) in `bounds` -> RGBA ImageData (values outside bounds clamped). */
export function toImageData(image: Tensor3D | Tensor4D, bounds: Bounds): ImageData {
  checkBounds(bounds, 'toImageData');
  const one = singleImage(image, 'toImageData');
  const [h, w, c] = one.shape;
  const [lo, hi] = bounds;
  const values = one.dataSync();
  if (one !== image) one.dispose();
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    for (let k = 0; k < 3; k++) {
      const v = values[p * c + (c === 3 ? k : 0)];
      rgba[p * 4 + k] = byteInBounds(v, lo, hi);
    }
    rgba[p * 4 + 3] = 255;
  }
  return new ImageData(rgba, w, h);
}

/** Draws an image tensor on a new canvas, upscaled by an integer `scale` (nearest neighbour). */
export function toCanvas(image: Tensor3D | Tensor4D, bounds: Bounds, scale = 1): HTMLCanvasElement {
  if (typeof document === 'undefined') throw new Error('toCanvas: needs a page (document)');
  if (!Number.isInteger(scale) || scale < 1)
    throw new Error(`toCanvas: scale must be a positive integer, got ${scale}`);
  const pixels = toImageData(image, bounds);
  const full = canvas2d(pixels.width, pixels.height);
  full.context.putImageData(pixels, 0, 0);
  if (scale === 1) return full.canvas as HTMLCanvasElement;
  const big = canvas2d(pixels.width * scale, pixels.height * scale);
  big.context.imageSmoothingEnabled = false;
  big.context.drawImage(full.canvas, 0, 0, pixels.width * scale, pixels.height * scale);
  return big.canvas as HTMLCanvasElement;
}

/** An image tensor as a `data:image/png;base64,...` URL at its own size (for <img> and downloads). */
export function toPngDataUrl(image: Tensor3D | Tensor4D, bounds: Bounds): string {
  return toCanvas(image, bounds).toDataURL('image/png');
}

/**
 * The perturbation `adversarial - original` magnified to be visible (the book's Figure 10.2): zero is
 * mid-grey and the largest |delta| reaches the bounds, as in advx's PNG panels.
 */
export function magnifiedPerturbation(
  original: Tensor4D,
  adversarial: Tensor4D,
  bounds: Bounds,
): { image: Tensor4D; magnification: number } {
  checkBounds(bounds, 'magnifiedPerturbation');
  if (original.shape.join(',') !== adversarial.shape.join(','))
    throw new Error(`magnifiedPerturbation: shapes [${original.shape}] and [${adversarial.shape}] differ`);
  const [lo, hi] = bounds;
  const delta = tf.sub(adversarial, original);
  const maxAbs = tf.tidy(() => tf.max(tf.abs(delta)).dataSync()[0]);
  const magnification = maxAbs > 0 && Number.isFinite(maxAbs) ? (hi - lo) / 2 / maxAbs : 1;
  const image = tf.tidy(() => tf.add(tf.mul(delta, magnification), (lo + hi) / 2)) as Tensor4D;
  delta.dispose();
  return { image, magnification };
}

/**
 * `images.load(photos, model)`, as in Node but from what a page has (files, blobs, <img>, canvases,
 * ImageData): one batch `[N,H,W,C]` in the model's bounds.
 */
export async function load(photos: readonly (Blob | PixelSource)[], target: ImageTarget): Promise<Tensor4D> {
  if (photos.length === 0) throw new Error('images.load: no images given');
  const batch: Tensor4D[] = [];
  try {
    for (const photo of photos)
      batch.push(photo instanceof Blob ? await fromBlob(photo, target) : fromSource(photo, target));
    return tf.concat(batch) as Tensor4D;
  } finally {
    tf.dispose(batch);
  }
}
