/**
 * Nearest-neighbour resizing exactly as PIL's `Image.resize(size, NEAREST)`, the resize of Keras'
 * `image.load_img(path, target_size=...)` and so of the book's pipeline.
 */
import type { DecodedImage } from './image-decode.js';

function checkSize(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`resize: ${what} must be a positive integer, got ${value}`);
}

/**
 * For each of `outSize` output positions, the source position PIL's NEAREST resize copies (PIL's
 * ImagingScaleAffine): floor of `(o + 0.5) * inSize / outSize`, with the position accumulated step by step
 * in double precision exactly as PIL does, so that values landing on an integer fall the same way.
 */
export function nearestSourceIndices(inSize: number, outSize: number): Int32Array {
  checkSize('input size', inSize);
  checkSize('output size', outSize);
  const scale = inSize / outSize;
  const indices = new Int32Array(outSize);
  let position = scale * 0.5;
  for (let o = 0; o < outSize; o++) {
    indices[o] = Math.min(Math.trunc(position), inSize - 1);
    position += scale;
  }
  return indices;
}

/**
 * PIL's `Image.resize((width, height), NEAREST)`, which Keras' `image.load_img(path, target_size=(h, w))`
 * does: the whole image to exactly `width` x `height` (no crop, aspect ratio not kept, no antialiasing),
 * each output pixel a copy of one source pixel.
 */
export function resizeNearest(img: DecodedImage, width: number, height: number): DecodedImage {
  const columns = nearestSourceIndices(img.width, width);
  const rows = nearestSourceIndices(img.height, height);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = rows[y] * img.width * 3;
    const to = y * width * 3;
    for (let x = 0; x < width; x++) {
      const s = from + columns[x] * 3;
      const d = to + x * 3;
      data[d] = img.data[s];
      data[d + 1] = img.data[s + 1];
      data[d + 2] = img.data[s + 2];
    }
  }
  return { width, height, data };
}
