/** Labelled image data sets as plain arrays: pixels in [0,1], NHWC. */
import { join } from 'node:path';
import { readIdxImages, readIdxLabels } from './idx.js';
import { fashionMnistDir, requireDir, sharedDataDir } from './locations.js';

export interface ImageDataset {
  name: string;
  /** count * height * width * channels floats in [0,1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  shape: [number, number, number];
  classNames: string[];
}

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function fromIdx(
  name: string,
  imagesFile: string,
  labelsFile: string,
  classNames: string[],
  limit?: number,
): ImageDataset {
  const idx = readIdxImages(imagesFile);
  const labels = readIdxLabels(labelsFile);
  if (labels.length !== idx.count)
    throw new Error(`${name}: ${idx.count} images but ${labels.length} labels`);
  const count = Math.min(idx.count, limit ?? idx.count);
  const size = idx.rows * idx.cols;
  const images = new Float32Array(count * size);
  for (let i = 0; i < count * size; i++) images[i] = idx.pixels[i] / 255;
  return { name, images, labels: labels.slice(0, count), count, shape: [idx.rows, idx.cols, 1], classNames };
}

export function loadFashionMnist(split: 'train' | 'test', limit?: number): ImageDataset {
  const dir = requireDir(
    fashionMnistDir(),
    'Fashion-MNIST',
    'apt-get install dataset-fashion-mnist, or set ADVX_FASHION_MNIST',
  );
  const prefix = split === 'train' ? 'train' : 't10k';
  return fromIdx(
    `fashion-mnist-${split}`,
    join(dir, `${prefix}-images-idx3-ubyte.gz`),
    join(dir, `${prefix}-labels-idx1-ubyte.gz`),
    FASHION_MNIST_CLASSES,
    limit,
  );
}

/** The MNIST test set (10k): the only MNIST images at hand. */
export function loadMnistTest(limit?: number): ImageDataset {
  const dir = requireDir(
    join(sharedDataDir(), 'mnist'),
    'MNIST',
    'set ADVX_HOME to a folder with data/mnist',
  );
  return fromIdx(
    'mnist-test',
    join(dir, 't10k-images-idx3-ubyte.gz'),
    join(dir, 't10k-labels-idx1-ubyte.gz'),
    DIGIT_CLASSES,
    limit,
  );
}
