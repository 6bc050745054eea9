/**
 * CIFAR-10 in ConvNetJS' PNG batch format (shared/data/cifar10-convnetjs, see its PROVENANCE.md): each
 * PNG is 1024 px wide, one image per row; pixel k of row n is pixel (y = floor(k/32), x = k%32) of image
 * n. Labels are one uint8 per image in a separate file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import type { ImageDataset } from './datasets.js';
import { requireDir, sharedDataDir } from './locations.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

const SIDE = 32;
const PIXELS = SIDE * SIDE;

function readFile(path: string, what: string): Buffer {
  if (!existsSync(path)) throw new Error(`${path}: no such file (${what})`);
  return readFileSync(path);
}

/** One ConvNetJS CIFAR-10 batch: images `[32,32,3]` in [0,1] and their labels. */
export function loadCifar10Batch(pngFile: string, labelsFile: string, limit?: number): ImageDataset {
  let png: PNG;
  const bytes = readFile(pngFile, 'CIFAR-10 batch PNG');
  try {
    png = PNG.sync.read(bytes);
  } catch (error) {
    throw new Error(`${pngFile}: not a CIFAR-10 batch PNG (${(error as Error).message})`, { cause: error });
  }
  if (png.width !== PIXELS) {
    throw new Error(
      `${pngFile}: a CIFAR-10 batch PNG is ${PIXELS} px wide (one 32x32 image per row), got ${png.width}`,
    );
  }
  const labels = new Uint8Array(readFile(labelsFile, 'CIFAR-10 labels'));
  if (labels.length !== png.height) {
    throw new Error(`${labelsFile}: ${labels.length} labels for ${png.height} images in ${pngFile}`);
  }
  const bad = labels.findIndex((l) => l >= CIFAR10_CLASSES.length);
  if (bad >= 0)
    throw new Error(`${labelsFile}: label ${labels[bad]} of image ${bad} is not a CIFAR-10 class (0..9)`);
  const count = Math.min(png.height, limit ?? png.height);
  const images = new Float32Array(count * PIXELS * 3);
  const rgba = png.data;
  for (let p = 0; p < count * PIXELS; p++) {
    images[3 * p] = rgba[4 * p] / 255;
    images[3 * p + 1] = rgba[4 * p + 1] / 255;
    images[3 * p + 2] = rgba[4 * p + 2] / 255;
  }
  return {
    name: `cifar10-${basename(pngFile, '.png')}`,
    images,
    labels: labels.slice(0, count),
    count,
    shape: [SIDE, SIDE, 3],
    classNames: CIFAR10_CLASSES,
  };
}

/** The CIFAR-10 directory under `ADVX_HOME` (shared/data/cifar10-convnetjs). */
export function cifar10Dir(): string {
  return requireDir(
    join(sharedDataDir(), 'cifar10-convnetjs'),
    'CIFAR-10',
    'set ADVX_HOME to a folder with data/cifar10-convnetjs',
  );
}

/**
 * The CIFAR-10 images at hand: `train` = batches 0 and 1 (training images 0..1999 of data_batch_1),
 * `test` = batch 50 (test images 0..999).
 */
export function loadCifar10(split: 'train' | 'test', limit?: number): ImageDataset {
  const dir = cifar10Dir();
  const batches = split === 'train' ? [0, 1] : [50];
  const parts: ImageDataset[] = [];
  let remaining = limit ?? Infinity;
  for (const k of batches) {
    if (remaining <= 0) break;
    const part = loadCifar10Batch(
      join(dir, `cifar10_batch_${k}.png`),
      join(dir, `cifar10_batch_${k}.labels.u8`),
      remaining,
    );
    parts.push(part);
    remaining -= part.count;
  }
  const count = parts.reduce((n, p) => n + p.count, 0);
  const images = new Float32Array(count * PIXELS * 3);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * PIXELS * 3);
    labels.set(p.labels, at);
    at += p.count;
  }
  return {
    name: `cifar10-${split}`,
    images,
    labels,
    count,
    shape: [SIDE, SIDE, 3],
    classNames: CIFAR10_CLASSES,
  };
}
