/** Readers for the gzip'd IDX files of MNIST and Fashion-MNIST. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, row-major, 0 = background. */
  pixels: Uint8Array;
}

function load(file: string): Buffer {
  const raw = readFileSync(file);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

export function readIdxImages(file: string): IdxImages {
  const b = load(file);
  if (b.length < 16 || b.readUInt32BE(0) !== 2051)
    throw new Error(`${file}: not an IDX image file (magic 2051)`);
  const count = b.readUInt32BE(4);
  const rows = b.readUInt32BE(8);
  const cols = b.readUInt32BE(12);
  if (b.length !== 16 + count * rows * cols) throw new Error(`${file}: truncated IDX image file`);
  return { count, rows, cols, pixels: new Uint8Array(b.buffer, b.byteOffset + 16, count * rows * cols) };
}

export function readIdxLabels(file: string): Uint8Array {
  const b = load(file);
  if (b.length < 8 || b.readUInt32BE(0) !== 2049)
    throw new Error(`${file}: not an IDX label file (magic 2049)`);
  const count = b.readUInt32BE(4);
  if (b.length !== 8 + count) throw new Error(`${file}: truncated IDX label file`);
  return new Uint8Array(b.buffer, b.byteOffset + 8, count);
}
