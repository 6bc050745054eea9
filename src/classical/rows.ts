/**
 * Labelled rows: the training-set shape the classical classifiers take. An `ImageDataset` (from
 * src/data/datasets.ts or `loadDigits`) is one as it is: its `images` array is a flattened NHWC batch,
 * one row of `height * width * channels` features per image.
 */
import { Rng } from '../engine/random.js';
import type { ImageDataset } from '../data/datasets.js';

export interface LabelledRows {
  name?: string;
  /** count * numFeatures floats. */
  images: Float32Array;
  labels: ArrayLike<number>;
  count: number;
  shape: readonly [number, number, number];
  classNames: readonly string[];
}

/** Throws a clear Error naming the problem unless `data` is a consistent labelled set; returns numFeatures. */
export function checkLabelled(data: LabelledRows, who: string): number {
  const what = `${who}: data set${data.name ? ` '${data.name}'` : ''}`;
  if (!(data.images instanceof Float32Array)) throw new Error(`${what}: images must be a Float32Array`);
  const [h, w, c] = data.shape;
  const numFeatures = h * w * c;
  if (!(numFeatures > 0)) throw new Error(`${what}: bad shape [${data.shape.join(',')}]`);
  if (!Number.isInteger(data.count) || data.count <= 0)
    throw new Error(`${what}: needs at least one example (count ${data.count})`);
  if (data.images.length !== data.count * numFeatures) {
    throw new Error(
      `${what}: ${data.images.length} values, expected count ${data.count} x ${numFeatures} features`,
    );
  }
  if (data.labels.length !== data.count)
    throw new Error(`${what}: ${data.labels.length} labels for ${data.count} examples`);
  const k = data.classNames.length;
  if (k < 2) throw new Error(`${what}: needs at least two class names`);
  for (let i = 0; i < data.count; i++) {
    const y = data.labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= k)
      throw new Error(`${what}: label ${y} of example ${i} is outside 0..${k - 1}`);
  }
  return numFeatures;
}

/** The examples at `indices`, in that order. */
export function selectRows(data: LabelledRows, indices: ArrayLike<number>): ImageDataset {
  const d = data.shape[0] * data.shape[1] * data.shape[2];
  const images = new Float32Array(indices.length * d);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < data.count)) throw new Error(`selectRows: index ${j} outside 0..${data.count - 1}`);
    images.set(data.images.subarray(j * d, (j + 1) * d), i * d);
    labels[i] = data.labels[j];
  }
  return {
    name: data.name ?? 'rows',
    images,
    labels,
    count: indices.length,
    shape: [data.shape[0], data.shape[1], data.shape[2]],
    classNames: [...data.classNames],
  };
}

/** `count` examples starting at `start` (e.g. to split one set into train and test). */
export function sliceRows(data: LabelledRows, start: number, count: number): ImageDataset {
  if (!(start >= 0 && count >= 0 && start + count <= data.count)) {
    throw new Error(`sliceRows: range ${start}..${start + count} outside 0..${data.count}`);
  }
  return selectRows(
    data,
    Int32Array.from({ length: count }, (_, i) => start + i),
  );
}

/** `n` examples drawn without replacement with a seeded generator (all of them, shuffled, when n >= count). */
export function subsample(data: LabelledRows, n: number, seed: number): ImageDataset {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`subsample: n must be a positive integer (got ${n})`);
  const order = new Rng(seed).permutation(data.count);
  return selectRows(data, order.subarray(0, Math.min(n, data.count)));
}
