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
 * The format is detected from the magic bytes, never from the file name.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  /** width * height * 3 bytes: R, G, B of pixel (y, x) at (y * width + x) * 3. */
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format of an encoded image from its first bytes, or null when it is neither JPEG nor PNG. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= PNG_MAGIC.length && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  return null;
}

function decodeJpeg(bytes: Uint8Array, source: string): DecodedImage {
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  } catch (error) {
    const message = (error as Error).message;
    const hint = /4 components/.test(message) ? ' (CMYK JPEG without an Adobe marker is not supported)' : '';
    throw new Error(`${source}: cannot decode this JPEG: ${message}${hint}`, { cause: error });
  }
  const { width, height, data } = out;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new Error(`${source}: cannot decode this JPEG (got ${width}x${height}, ${data.length} bytes)`);
  }
  return { width, height, data };
}

function decodePng(bytes: Uint8Array, source: string): DecodedImage {
  let png: PNG;
  try {
    // pngjs normalises every colour type and bit depth to 8-bit RGBA.
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new Error(`${source}: cannot decode this PNG: ${(error as Error).message}`, { cause: error });
  }
  const { width, height } = png;
  const rgba = png.data;
  if (rgba.length !== width * height * 4) {
    throw new Error(`${source}: cannot decode this PNG (got ${width}x${height}, ${rgba.length} bytes)`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    const a = rgba[p + 3];
    if (a === 255) {
      data[q] = rgba[p];
      data[q + 1] = rgba[p + 1];
      data[q + 2] = rgba[p + 2];
    } else {
      // Composite on white: c * a + 255 * (1 - a), with a in [0,1].
      const white = 255 * (255 - a);
      data[q] = Math.round((rgba[p] * a + white) / 255);
      data[q + 1] = Math.round((rgba[p + 1] * a + white) / 255);
      data[q + 2] = Math.round((rgba[p + 2] * a + white) / 255);
    }
  }
  return { width, height, data };
}

/**
 * Decodes a JPEG or PNG (detected from its magic bytes) into 8-bit RGB. `source` names the input in
 * error messages (usually the file path).
 */
export function decodeImage(bytes: Uint8Array, source: string): DecodedImage {
  const format = detectImageFormat(bytes);
  if (format === 'jpeg') return decodeJpeg(bytes, source);
  if (format === 'png') return decodePng(bytes, source);
  throw new Error(`${source}: not a JPEG or PNG image`);
}

/** Reads and decodes an image file; a missing file gives `<path>: no such file`. */
export function readImageFile(path: string): DecodedImage {
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new Error(`${path}: is a directory, not an image file`);
  return decodeImage(readFileSync(path), path);
}
