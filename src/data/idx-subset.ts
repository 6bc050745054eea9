/**
 * A small copy of an IDX data set folder (MNIST, Fashion-MNIST): the first images and labels of each
 * split, in the same file names, so that `ADVX_FASHION_MNIST=DIR` runs a whole training command on a
 * few real images (smoke runs, the kill/resume tests).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIdxImages, readIdxLabels } from './idx.js';

function header(magic: number, dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}

/**
 * Writes `to/PREFIX-images-idx3-ubyte.gz` and `to/PREFIX-labels-idx1-ubyte.gz` (uncompressed bytes:
 * the readers take both) with the first `counts[PREFIX]` items of the same files in `from`.
 */
export function writeIdxSubset(from: string, to: string, counts: Record<string, number>): void {
  mkdirSync(to, { recursive: true });
  for (const [prefix, wanted] of Object.entries(counts)) {
    const imagesName = `${prefix}-images-idx3-ubyte.gz`;
    const labelsName = `${prefix}-labels-idx1-ubyte.gz`;
    const images = readIdxImages(join(from, imagesName));
    const labels = readIdxLabels(join(from, labelsName));
    const n = Math.min(wanted, images.count, labels.length);
    const size = images.rows * images.cols;
    writeFileSync(
      join(to, imagesName),
      Buffer.concat([header(2051, [n, images.rows, images.cols]), images.pixels.subarray(0, n * size)]),
    );
    writeFileSync(join(to, labelsName), Buffer.concat([header(2049, [n]), labels.subarray(0, n)]));
  }
}
