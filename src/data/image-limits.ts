/**
 * Limits on the images advx decodes, checked on the header before any decoding: a PNG or JPEG of a few
 * bytes can declare 30000x30000 pixels, and decoders allocate by the declared size (a decompression
 * bomb). The defaults are far above any real photo.
 */
import type { ImageHeader } from './image-header.js';

export interface ImageLimits {
  /** Most pixels (width x height) an image may have. Default 50 megapixels. */
  maxPixels?: number;
  /**
   * Most bytes the decoder's pixel buffer may take: RGBA at the file's bit depth for PNG (4 bytes a pixel,
   * 8 at 16 bits), one byte per component for JPEG. Default 4 x maxPixels, so a 16-bit PNG may have half
   * as many pixels as an 8-bit one.
   */
  maxDecodedBytes?: number;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;
const DEFAULT_BYTES_PER_PIXEL = 4;

function checkLimit(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`image limits: ${name} must be a positive integer (got ${value})`);
  return value;
}

/** The limits with their defaults filled in; a bad value is a one-line error naming the option. */
export function resolveImageLimits(limits: ImageLimits = {}): Required<ImageLimits> {
  const maxPixels = checkLimit(limits.maxPixels ?? DEFAULT_MAX_PIXELS, 'maxPixels');
  const maxDecodedBytes = checkLimit(
    limits.maxDecodedBytes ?? maxPixels * DEFAULT_BYTES_PER_PIXEL,
    'maxDecodedBytes',
  );
  return { maxPixels, maxDecodedBytes };
}

/** Bytes of the decoder's pixel buffer for an image of this header (see `ImageLimits.maxDecodedBytes`). */
export function decodedBytes(header: ImageHeader): number {
  const pixels = header.width * header.height;
  const bytesPerSample = header.bitDepth > 8 ? 2 : 1;
  return header.format === 'png' ? pixels * 4 * bytesPerSample : pixels * header.channels * bytesPerSample;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

/** Throws a one-line error naming `source` when the image is above the limits. */
export function checkImageLimits(header: ImageHeader, limits: ImageLimits, source: string): void {
  const { maxPixels, maxDecodedBytes } = resolveImageLimits(limits);
  const { width, height } = header;
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new Error(
      `${source}: ${width}x${height} image (${pixels} pixels) is above the limit of ${maxPixels} pixels (--max-pixels)`,
    );
  }
  const bytes = decodedBytes(header);
  if (bytes > maxDecodedBytes) {
    throw new Error(
      `${source}: ${width}x${height} ${header.bitDepth}-bit image decodes to ${megabytes(bytes)}, above the limit of ${megabytes(maxDecodedBytes)} (maxDecodedBytes; 4 bytes per pixel of --max-pixels)`,
    );
  }
}
