/**
 * Crafting image files for tests: PNGs with any header (a decompression bomb is a few bytes with a huge
 * size in IHDR), and real JPEGs with the size in their frame header changed. Nothing here allocates the
 * pixels an image declares.
 */
import { constants, deflateRawSync, deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(data)]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

export interface CraftedPng {
  width: number;
  height: number;
  /** Default 8. */
  bitDepth?: number;
  /** Default 2 (RGB). */
  colorType?: number;
  interlaced?: boolean;
  /** The IDAT payload (already compressed); default: an empty deflate stream. */
  idat?: Uint8Array;
}

/** A PNG whose header says exactly what it is told to, whatever its image data holds. */
export function craftPng({
  width,
  height,
  bitDepth = 8,
  colorType = 2,
  interlaced = false,
  idat = deflateSync(Buffer.alloc(0)),
}: CraftedPng): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  ihdr[12] = interlaced ? 1 : 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * A real, valid all-zero gray PNG of `width` x `height` (8-bit, filter 0). Its compressed data is about a
 * thousandth of the pixels (a 20000x20000 one takes 0.4 MB), and it is deflated a few MB of rows at a
 * time, so the raw image is never held in memory.
 */
export function zeroPng(width: number, height: number): Buffer {
  const row = Buffer.alloc(width + 1);
  const rowsPerBlock = Math.max(1, Math.floor((8 << 20) / row.length));
  const parts: Buffer[] = [Buffer.from([0x78, 0x01])]; // zlib header
  let adler = { a: 1, b: 0 };
  for (let y = 0; y < height; y += rowsPerBlock) {
    const n = Math.min(rowsPerBlock, height - y);
    const block = Buffer.concat(Array.from({ length: n }, () => row));
    adler = adler32(block, adler);
    // Independent raw deflate streams, each but the last ending on a sync flush, concatenate into one.
    const last = y + n >= height;
    parts.push(deflateRawSync(block, { finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH }));
  }
  parts.push(Buffer.from([adler.b >> 8, adler.b & 0xff, adler.a >> 8, adler.a & 0xff]));
  return craftPng({ width, height, colorType: 0, idat: Buffer.concat(parts) });
}

function adler32(data: Uint8Array, { a, b }: { a: number; b: number }): { a: number; b: number } {
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return { a, b };
}

/** Offset of the height field of a JPEG's frame header (SOFn), or -1. */
function frameHeaderOffset(jpeg: Uint8Array): number {
  for (let at = 2; at + 9 < jpeg.length;) {
    const marker = jpeg[at + 1];
    const length = (jpeg[at + 2] << 8) | jpeg[at + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return at + 5;
    at += 2 + length;
  }
  return -1;
}

/** A copy of a real JPEG whose frame header declares `width` x `height` (up to 65535 each). */
export function withJpegSize(jpeg: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const at = frameHeaderOffset(out);
  if (at < 0) throw new Error('withJpegSize: no frame header');
  out.writeUInt16BE(height, at);
  out.writeUInt16BE(width, at + 2);
  return out;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** An 8-bit RGB PNG of `rgb` (3 bytes a pixel, row-major), Adam7-interlaced as PNG encoders write it. */
export function interlacedPng(width: number, height: number, rgb: Uint8Array): Buffer {
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      rows.push(0); // filter: none
      for (let x = x0; x < width; x += dx)
        rows.push(...rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
    }
  }
  return craftPng({ width, height, interlaced: true, idat: deflateSync(Uint8Array.from(rows)) });
}
