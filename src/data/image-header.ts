/**
 * The size of an encoded image, read from its header without decoding it: PNG's IHDR chunk (and how many
 * bytes of compressed image data follow), JPEG's frame header (SOFn). Decoders allocate by these numbers,
 * so they are checked against limits (image-limits.ts) before any decoding starts.
 */
import { detectImageFormat, type ImageFormat } from './image-format.js';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16 for PNG, 8 or 12 for JPEG. */
  bitDepth: number;
  /** Samples per pixel as stored: PNG gray 1, gray+alpha 2, palette 1, RGB 3, RGBA 4; JPEG 1, 3 or 4. */
  channels: number;
  /** PNG: Adam7 interlacing. */
  interlaced: boolean;
  /** PNG: the bytes of compressed image data (all IDAT chunks). */
  compressedBytes?: number;
  /** JPEG: Huffman-coded sequential (SOF0, SOF1), progressive, or another coding. */
  jpegCoding?: 'sequential' | 'progressive' | 'other';
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

export interface PngChunk {
  type: string;
  /** Offset of the chunk's data in the file. */
  start: number;
  /** Bytes of data (cut at the end of the file when the file is truncated). */
  length: number;
}

/** The chunks of a PNG (length, type, data, CRC), up to IEND or the end of the bytes. */
export function pngChunks(bytes: Uint8Array): PngChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const declared = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    chunks.push({ type, start: at + 8, length: Math.min(declared, bytes.length - at - 8) });
    if (type === 'IEND') break;
    at += 12 + declared;
  }
  return chunks;
}

function pngHeader(bytes: Uint8Array, source: string): ImageHeader {
  const bad = (why: string) => new Error(`${source}: cannot decode this PNG: ${why}`);
  const chunks = pngChunks(bytes);
  if (chunks[0]?.type !== 'IHDR' || chunks[0].length !== 13) throw bad('no IHDR header chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    throw bad(`invalid size ${width}x${height} in its header`);
  const channels = PNG_CHANNELS[colorType];
  if (channels === undefined) throw bad(`unknown colour type ${colorType}`);
  if (!PNG_DEPTHS[colorType].includes(bitDepth))
    throw bad(`bit depth ${bitDepth} is not valid for colour type ${colorType}`);
  const compressedBytes = chunks.filter((c) => c.type === 'IDAT').reduce((sum, c) => sum + c.length, 0);
  return { format: 'png', width, height, bitDepth, channels, interlaced: bytes[28] === 1, compressedBytes };
}

/** Start-of-frame markers: SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegHeader(bytes: Uint8Array, source: string): ImageHeader {
  const bad = (why: string) => new Error(`${source}: cannot decode this JPEG: ${why}`);
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw bad(`no marker at byte ${at}`);
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw bad('no frame header before the image data');
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2) throw bad(`marker segment of length ${length} at byte ${at}`);
    if (isStartOfFrame(marker)) {
      if (at + 10 > bytes.length) break;
      const bitDepth = bytes[at + 4];
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      const channels = bytes[at + 9];
      if (width === 0 || height === 0) throw bad(`invalid size ${width}x${height} in its frame header`);
      if (channels < 1 || channels > 4) throw bad(`${channels} colour components are not supported`);
      const jpegCoding =
        marker === 0xc0 || marker === 0xc1 ? 'sequential' : marker === 0xc2 ? 'progressive' : 'other';
      return { format: 'jpeg', width, height, bitDepth, channels, interlaced: false, jpegCoding };
    }
    at += 2 + length;
  }
  throw bad('the file ends before its frame header');
}

/**
 * The header of a JPEG or PNG (detected from its magic bytes). Throws a one-line error naming `source` when
 * the bytes are neither, or the header is missing or invalid.
 */
export function readImageHeader(bytes: Uint8Array, source: string): ImageHeader {
  const format = detectImageFormat(bytes);
  if (format === 'png') return pngHeader(bytes, source);
  if (format === 'jpeg') return jpegHeader(bytes, source);
  throw new Error(`${source}: not a JPEG or PNG image`);
}
