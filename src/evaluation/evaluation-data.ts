/**
 * The labelled images an evaluation runs on, by name: the test images of Fashion-MNIST, MNIST and
 * CIFAR-10, or the shared ImageNet sample photos, `images` of them from dataset index `offset`. Images are
 * loaded a batch at a time (`load`), so a photo set never sits in memory whole, and come out in the
 * model's bounds.
 */
import { createHash } from 'node:crypto';
import { loadCifar10 } from '../data/cifar.js';
import { loadFashionMnist, loadMnistTest, type ImageDataset } from '../data/datasets.js';
import { loadImagesFor } from '../data/images.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Model } from '../models/model.js';
import { imagenetSamplePhotos } from '../models/photo-accuracy.js';

export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'cifar10', 'imagenet-samples'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Images of a data set to evaluate on: `images` of them from dataset index `offset` (default 0). */
export interface DatasetSelection {
  dataset: DatasetName;
  images: number;
  offset?: number;
}

export interface EvaluationData {
  /** What the images are (a data set name, or the caller's). */
  readonly name: string;
  /** Dataset index of each image. */
  readonly indices: readonly number[];
  /** Class index of each image. */
  readonly labels: readonly number[];
  /** [height, width, channels] of one image, or null when images are fitted to the model (photos). */
  readonly shape: readonly [number, number, number] | null;
  /** Classes the labels are indices into (a model must have this many outputs), or null if any will do. */
  readonly numClasses: number | null;
  /** The images at these positions (0-based, into `indices`) as a batch in the model's bounds. */
  load(positions: readonly number[], model: Model): Promise<Tensor4D>;
}

/** Images as a flat [0,1] array (`count * h * w * c`), e.g. a data set read into memory. */
export function arrayData(
  name: string,
  images: Float32Array,
  shape: readonly [number, number, number],
  labels: readonly number[],
  options: { indices?: readonly number[]; numClasses?: number } = {},
): EvaluationData {
  const size = shape[0] * shape[1] * shape[2];
  if (images.length !== labels.length * size)
    throw new Error(`${name}: ${images.length} values for ${labels.length} images of shape [${shape}]`);
  const indices = options.indices ?? labels.map((_, i) => i);
  if (indices.length !== labels.length)
    throw new Error(`${name}: ${indices.length} indices for ${labels.length} images`);
  return {
    name,
    indices,
    labels,
    shape,
    numClasses: options.numClasses ?? null,
    async load(positions, model) {
      const batch = new Float32Array(positions.length * size);
      positions.forEach((p, i) => batch.set(images.subarray(p * size, (p + 1) * size), i * size));
      const [lo, hi] = model.bounds;
      return tf.tidy(() => {
        const unit = tf.tensor4d(batch, [positions.length, shape[0], shape[1], shape[2]]);
        return (lo === 0 && hi === 1 ? unit : tf.add(tf.mul(unit, hi - lo), lo)) as Tensor4D;
      });
    },
  };
}

function checkSelection(selection: DatasetSelection): { images: number; offset: number } {
  const { images, offset = 0 } = selection;
  if (!Number.isInteger(images) || images < 1)
    throw new Error(`images: give an integer >= 1 (got ${images})`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new Error(`offset: give an integer >= 0 (got ${offset})`);
  return { images, offset };
}

function sliceOf(selection: DatasetSelection, dataset: ImageDataset): EvaluationData {
  const { images, offset } = checkSelection(selection);
  if (offset + images > dataset.count)
    throw new Error(
      `${selection.dataset}: images ${offset}..${offset + images - 1} asked for, but its test set has ${dataset.count}`,
    );
  const size = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  return arrayData(
    selection.dataset,
    dataset.images.subarray(offset * size, (offset + images) * size),
    dataset.shape,
    Array.from(dataset.labels.subarray(offset, offset + images)),
    {
      indices: Array.from({ length: images }, (_, i) => offset + i),
      numClasses: dataset.classNames.length,
    },
  );
}

/** The shared ImageNet sample photos (one per class, label from the file name), fitted to the model. */
function imagenetSamples(selection: DatasetSelection): EvaluationData {
  const { images, offset } = checkSelection(selection);
  const photos = imagenetSamplePhotos();
  if (offset + images > photos.length)
    throw new Error(
      `imagenet-samples: images ${offset}..${offset + images - 1} asked for, but there are ${photos.length}`,
    );
  const chosen = photos.slice(offset, offset + images);
  return {
    name: 'imagenet-samples',
    indices: chosen.map((_, i) => offset + i),
    labels: chosen.map((p) => p.label),
    shape: null,
    numClasses: 1000,
    load: (positions, model) =>
      loadImagesFor(
        positions.map((p) => chosen[p].file),
        model,
      ),
  };
}

/** Test images of a data set by name (IDX / PNG batches read once; photos read a batch at a time). */
export function loadEvaluationData(selection: DatasetSelection): EvaluationData {
  const { images, offset } = checkSelection(selection);
  const wanted = offset + images;
  switch (selection.dataset) {
    case 'fashion-mnist':
      return sliceOf(selection, loadFashionMnist('test', wanted));
    case 'mnist':
      return sliceOf(selection, loadMnistTest(wanted));
    case 'cifar10':
      return sliceOf(selection, loadCifar10('test', wanted));
    case 'imagenet-samples':
      return imagenetSamples(selection);
    default:
      throw new Error(`unknown data set '${String(selection.dataset)}' (known: ${DATASET_NAMES.join(', ')})`);
  }
}

/** Throws a one-line error when `model` cannot take these images or predict these labels. */
export function checkDataFitsModel(data: EvaluationData, model: Model): void {
  if (data.shape !== null) {
    const [h, w, c] = data.shape;
    const [mh, mw, mc] = model.inputShape;
    if (h !== mh || w !== mw || c !== mc)
      throw new Error(
        `model ${model.name} takes [${mh},${mw},${mc}] inputs, but ${data.name} images are [${h},${w},${c}]`,
      );
  }
  if (data.numClasses !== null && data.numClasses !== model.numClasses)
    throw new Error(
      `model ${model.name} has ${model.numClasses} classes, but ${data.name} labels are of ${data.numClasses}`,
    );
  const bad = data.labels.find((l) => !Number.isInteger(l) || l < 0 || l >= model.numClasses);
  if (bad !== undefined) throw new Error(`${data.name}: label ${bad} is not a class of model ${model.name}`);
}

/** A short digest of the labels (and their dataset indices): a resumed run must see the same images. */
export function dataDigest(data: EvaluationData): string {
  return createHash('sha256')
    .update(JSON.stringify([data.indices, data.labels]))
    .digest('hex')
    .slice(0, 16);
}
