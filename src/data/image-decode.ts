/**
 * Decoding JPEG and PNG files into plain 8-bit RGB, in pure JavaScript (jpeg-js, pngjs).
 *
 * - JPEG: baseline and progressive; grayscale is expanded to RGB, Adobe CMYK/YCCK is converted to RGB
 *   (jpeg-js follows Adobe's inverted-CMYK convention). EXIF orientation is not applied (as PIL and Keras'
 *   `load_img` do not apply it either).
 * - PNG: every colour type and bit depth (gray, gray+alpha, palette, RGB, RGBA; 1..16 bits) becomes 8-bit
 *   RGB. Transparent pixels are composited on WHITE (a transparent background becomes white, as on a page),
 *   not dropped: dropping alpha would turn the usual "transparent black" background into black.
 *
 * The format is detected from the magic bytes, never from the file name. The size the header declares is
 * checked against limits (image-limits.ts: 50 megapixels by default) before decoding, so that a small file
 * declaring a huge image (a decompression bomb) is refused without allocating it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { pngChunks, readImageHeader, type ImageHeader } from './image-header.js';
import { checkImageLimits, resolveImageLimits, type ImageLimits } from './image-limits.js';
import { rgbaToRgb } from './png-pixels.js';

export { detectImageFormat, type ImageFormat } from './image-format.js';
export { DEFAULT_MAX_PIXELS, type ImageLimits } from './image-limits.js';

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  /** width * height * 3 bytes: R, G, B of pixel (y, x) at (y * width + x) * 3. */
  data: Uint8Array;
}

/** A decoder's error as one line (some libraries throw strings, some messages span lines). */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}

/** jpeg-js counts its own allocations: allow what the pixel limit allows (its default is 512 MB). */
function jpegMemoryLimitMB(maxPixels: number): number {
  return Math.max(1024, Math.ceil((maxPixels * 20) / 2 ** 20));
}

/**
 * A sequential Huffman-coded JPEG spends at least 2 bits on each 8x8 block (a DC code and an end of block):
 * a file smaller than that for its frame size is truncated or forged, and jpeg-js would allocate (and
 * fill with grey) the whole frame anyway.
 */
function checkJpegData(bytes: Uint8Array, header: ImageHeader, source: string): void {
  if (header.jpegCoding !== 'sequential') return;
  const blocks = Math.ceil(header.width / 8) * Math.ceil(header.height / 8);
  if (bytes.length < blocks / 4) {
    throw new Error(
      `${source}: cannot decode this JPEG: ${bytes.length} bytes cannot hold ${header.width}x${header.height} pixels (truncated or corrupt)`,
    );
  }
}

function decodeJpeg(
  bytes: Uint8Array,
  source: string,
  header: ImageHeader,
  limits: Required<ImageLimits>,
): DecodedImage {
  checkJpegData(bytes, header, source);
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB: jpegMemoryLimitMB(limits.maxPixels),
    });
  } catch (error) {
    const message = oneLine(error);
    const hint = /4 components/.test(message) ? ' (CMYK JPEG without an Adobe marker is not supported)' : '';
    throw new Error(`${source}: cannot decode this JPEG: ${message}${hint}`, { cause: error });
  }
  const { width, height, data } = out;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new Error(`${source}: cannot decode this JPEG (got ${width}x${height}, ${data.length} bytes)`);
  }
  return { width, height, data };
}

/** Deflate never compresses more than 1032:1, so less compressed data than this cannot be the image. */
const MAX_DEFLATE_RATIO = 1032;

/** Bytes of the filtered scanlines of a non-interlaced PNG (one filter byte per row). */
function scanlineBytes(header: ImageHeader): number {
  return header.height * (1 + Math.ceil((header.width * header.channels * header.bitDepth) / 8));
}

/**
 * Checks, before pngjs allocates, that the compressed data can be the image the header declares, and
 * (interlaced PNGs, which pngjs inflates without a bound) that it inflates to no more than the image.
 */
function checkPngData(bytes: Uint8Array, header: ImageHeader, source: string): void {
  const expected = scanlineBytes(header);
  const compressed = header.compressedBytes ?? 0;
  if (compressed * MAX_DEFLATE_RATIO < expected) {
    throw new Error(
      `${source}: cannot decode this PNG: ${compressed} bytes of image data cannot hold ${header.width}x${header.height} pixels (truncated or corrupt)`,
    );
  }
  if (!header.interlaced) return;
  const data = Buffer.concat(
    pngChunks(bytes)
      .filter((c) => c.type === 'IDAT')
      .map((c) => bytes.subarray(c.start, c.start + c.length)),
  );
  // Adam7's seven passes add at most two bytes per row and pass (filter byte, rounding).
  const bound = expected + 14 * header.height + 64;
  try {
    inflateSync(data, { maxOutputLength: bound });
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    const why = tooLarge ? `its image data inflates to more than ${bound} bytes` : oneLine(error);
    throw new Error(`${source}: cannot decode this PNG: ${why}`, { cause: error });
  }
}

function decodePng(bytes: Uint8Array, source: string, header: ImageHeader): DecodedImage {
  checkPngData(bytes, header, source);
  let png: PNG;
  try {
    // pngjs normalises every colour type and bit depth to 8-bit RGBA.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    // pngjs' words for a file that ends before its image data does.
    const why = /waitng on finished stream|unexpected end/i.test(oneLine(error))
      ? 'the file ends before its image data (truncated)'
      : oneLine(error);
    throw new Error(`${source}: cannot decode this PNG: ${why}`, { cause: error });
  }
  const { width, height } = png;
  const rgba = png.data;
  if (width !== header.width || height !== header.height || rgba.length !== width * height * 4) {
    throw new Error(`${source}: cannot decode this PNG (got ${width}x${height}, ${rgba.length} bytes)`);
  }
  return rgbaToRgb(rgba, width, height);
}

/**
 * Decodes a JPEG or PNG (detected from its magic bytes) into 8-bit RGB. `source` names the input in
 * error messages (usually the file path). The size declared in the header is checked against `limits`
 * before anything is decoded.
 */
export function decodeImage(bytes: Uint8Array, source: string, limits: ImageLimits = {}): DecodedImage {
  const resolved = resolveImageLimits(limits);
  const header = readImageHeader(bytes, source);
  checkImageLimits(header, resolved, source);
  return header.format === 'jpeg'
    ? decodeJpeg(bytes, source, header, resolved)
    : decodePng(bytes, source, header);
}

/**
 * Bytes above which a file cannot be an image within the limits: an uncompressed PNG is about as large
 * as its decoded pixels; 64 MiB more leave room for metadata.
 */
export function maxImageFileBytes(limits: ImageLimits = {}): number {
  return resolveImageLimits(limits).maxDecodedBytes + 64 * 2 ** 20;
}

/**
 * Checks that `path` is an image file worth reading: it exists, is a regular file (not a folder, device
 * or FIFO, which could be endless) and is not larger than an image within the limits can be.
 */
export function checkImageFile(path: string, limits: ImageLimits = {}): void {
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  const stat = statSync(path);
  if (stat.isDirectory()) throw new Error(`${path}: cannot read: it is a directory, not an image file`);
  if (!stat.isFile()) throw new Error(`${path}: not a regular file (a device, FIFO or socket)`);
  const max = maxImageFileBytes(limits);
  if (stat.size > max) {
    throw new Error(
      `${path}: ${Math.round(stat.size / 1e6)} MB is more than an image within the limits can take (${Math.round(max / 1e6)} MB; --max-pixels)`,
    );
  }
}

/** Reads and decodes an image file; a missing file gives `<path>: no such file`. */
export function readImageFile(path: string, limits: ImageLimits = {}): DecodedImage {
  checkImageFile(path, limits);
  return decodeImage(readFileSync(path), path, limits);
}
