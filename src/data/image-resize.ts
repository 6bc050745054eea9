/**
 * Image resizing in pure TypeScript (no tfjs): PIL's `Image.resize(..., BILINEAR)` algorithm, i.e. a
 * separable triangle filter whose support grows with the scale factor when downscaling, so that every
 * source pixel contributes (antialiasing) instead of aliasing as plain 4-tap bilinear interpolation does.
 * Upscaling is ordinary bilinear interpolation with half-pixel centres.
 */
import type { DecodedImage } from './image-decode.js';

/** Interleaved pixels with any number of channels (RGB images have 3). */
interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
}

/** For each output index: first input index and normalised weights (PIL's precompute_coeffs). */
interface Coefficients {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  kernelSize: number;
}

const triangle = (x: number): number => {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
};

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale; // the triangle filter has support 1
  const kernelSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * kernelSize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let sum = 0;
    const base = o * kernelSize;
    for (let i = lo; i < hi; i++) {
      const w = triangle((i - center + 0.5) / filterScale);
      weights[base + i - lo] = w;
      sum += w;
    }
    if (sum > 0) for (let k = 0; k < hi - lo; k++) weights[base + k] /= sum;
    start[o] = lo;
    count[o] = hi - lo;
  }
  return { start, count, weights, kernelSize };
}

/**
 * Rounds a filtered value to a byte. The tiny offset makes exact ties (x.5, common on gradients) round the
 * same way whatever floating-point noise the weights carry, so identical input rows give identical output.
 */
const toByte = (v: number): number => Math.min(255, Math.max(0, Math.round(v + 1e-6)));

function checkSize(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`resize: ${what} must be a positive integer, got ${value}`);
}

/** Resamples interleaved pixels to `width` x `height`; results are rounded and clamped to 0..255. */
function resample(src: Pixels, width: number, height: number): Uint8Array {
  const { width: w0, height: h0, channels: c } = src;
  const out = new Uint8Array(width * height * c);
  // Horizontal pass into a float buffer (h0 rows x width), then vertical pass into bytes.
  let rows: ArrayLike<number> = src.data;
  if (width !== w0) {
    const cx = coefficients(w0, width);
    const tmp = new Float64Array(h0 * width * c);
    for (let y = 0; y < h0; y++) {
      const inRow = y * w0 * c;
      const outRow = y * width * c;
      for (let x = 0; x < width; x++) {
        const s = cx.start[x];
        const n = cx.count[x];
        const base = x * cx.kernelSize;
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc += cx.weights[base + k] * src.data[inRow + (s + k) * c + ch];
          tmp[outRow + x * c + ch] = acc;
        }
      }
    }
    rows = tmp;
  }
  const rowLength = width * c;
  if (height === h0) {
    for (let i = 0; i < out.length; i++) out[i] = toByte(rows[i]);
    return out;
  }
  const cy = coefficients(h0, height);
  const acc = new Float64Array(rowLength);
  for (let y = 0; y < height; y++) {
    const s = cy.start[y];
    const n = cy.count[y];
    const base = y * cy.kernelSize;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const w = cy.weights[base + k];
      const inRow = (s + k) * rowLength;
      for (let i = 0; i < rowLength; i++) acc[i] += w * rows[inRow + i];
    }
    const outRow = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[outRow + i] = toByte(acc[i]);
  }
  return out;
}

/** Resizes an RGB image to exactly `width` x `height` (aspect ratio not kept), antialiased. */
export function resizeRgb(img: DecodedImage, width: number, height: number): DecodedImage {
  checkSize('width', width);
  checkSize('height', height);
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  return { width, height, data: resample({ ...img, channels: 3 }, width, height) };
}

/** The centre `width` x `height` window of an image (offsets rounded down). */
export function centerCrop(img: DecodedImage, width: number, height: number): DecodedImage {
  checkSize('crop width', width);
  checkSize('crop height', height);
  if (width > img.width || height > img.height) {
    throw new Error(`centerCrop: cannot crop ${width}x${height} out of a ${img.width}x${img.height} image`);
  }
  const left = Math.floor((img.width - width) / 2);
  const top = Math.floor((img.height - height) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/**
 * Scales the image (keeping its aspect ratio) so that it covers `width*margin` x `height*margin`, then
 * cuts out the centre `width` x `height`. With a square target and margin 256/224 this is the ImageNet
 * evaluation recipe (shorter side to 256, centre crop 224).
 */
export function resizeCoverAndCenterCrop(
  img: DecodedImage,
  width: number,
  height: number,
  margin = 256 / 224,
): DecodedImage {
  checkSize('width', width);
  checkSize('height', height);
  if (!(margin >= 1)) throw new Error(`resize: the crop margin must be >= 1, got ${margin}`);
  const scale = Math.max(width / img.width, height / img.height) * margin;
  const w = Math.max(width, Math.round(img.width * scale));
  const h = Math.max(height, Math.round(img.height * scale));
  return centerCrop(resizeRgb(img, w, h), width, height);
}

/**
 * Resizes so the shorter side becomes `shorter` (aspect ratio kept), then crops the centre
 * `size` x `size`. Defaults give the ImageNet recipe: 256 then 224 for size 224.
 */
export function resizeShorterSideAndCenterCrop(
  img: DecodedImage,
  size: number,
  shorter: number = Math.round((size * 256) / 224),
): DecodedImage {
  checkSize('size', size);
  checkSize('shorter side', shorter);
  if (shorter < size)
    throw new Error(`resize: the shorter side (${shorter}) must be >= the crop size (${size})`);
  const short = Math.min(img.width, img.height);
  const w = img.width === short ? shorter : Math.max(shorter, Math.round((img.width * shorter) / short));
  const h = img.height === short ? shorter : Math.max(shorter, Math.round((img.height * shorter) / short));
  return centerCrop(resizeRgb(img, w, h), size, size);
}
