/**
 * Top-1 accuracy of a model on labelled photos, loaded a batch at a time through the image loader (so the
 * resize pipeline is part of what is measured), and the shared ImageNet sample photos with their labels.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadImagesFor, type Fit } from '../data/images.js';
import { requireDir, sharedDataDir } from '../data/locations.js';
import { imagenetClasses } from './labels.js';
import { predictLabels, type Model } from './model.js';

export interface LabelledPhoto {
  file: string;
  /** Class index in the model's label order. */
  label: number;
}

export interface SamplePhotoOptions {
  /** Take every `stride`-th photo in class order (default 1: all). */
  stride?: number;
  /** At most this many (default: all). */
  limit?: number;
}

/**
 * The shared ImageNet sample photos (`<wnid>_<name>.JPEG`, one per class, ADVX_HOME/data/
 * imagenet-sample-images), in class order, each with its class index (from the wnid).
 */
export function imagenetSamplePhotos({
  stride = 1,
  limit = Infinity,
}: SamplePhotoOptions = {}): LabelledPhoto[] {
  if (!(Number.isInteger(stride) && stride >= 1))
    throw new Error(`stride must be an integer >= 1, got ${stride}`);
  const dir = requireDir(
    join(sharedDataDir(), 'imagenet-sample-images'),
    'ImageNet sample photos',
    'set ADVX_HOME to the folder holding data/',
  );
  const index = new Map(imagenetClasses().map((c) => [c.wnid, c.index]));
  return readdirSync(dir)
    .filter((f) => /^n\d{8}_.*\.JPEG$/.test(f))
    .sort()
    .filter((_, i) => i % stride === 0)
    .slice(0, limit)
    .map((f) => {
      const label = index.get(f.slice(0, 9));
      if (label === undefined) throw new Error(`${join(dir, f)}: unknown ImageNet class ${f.slice(0, 9)}`);
      return { file: join(dir, f), label };
    });
}

export interface PhotoAccuracyOptions {
  /** How photos are fitted to the model's input (default: the loader's default for its size). */
  fit?: Fit;
  /** Photos loaded and predicted at a time (default 8). */
  batchSize?: number;
  onProgress?: (done: number, total: number, correct: number) => void;
}

export interface PhotoAccuracy {
  total: number;
  correct: number;
  /** correct / total. */
  top1: number;
  /** Predicted class per photo. */
  predicted: number[];
}

/** Top-1 accuracy of `model` on `photos`. */
export async function photoAccuracy(
  model: Model,
  photos: readonly LabelledPhoto[],
  { fit, batchSize = 8, onProgress }: PhotoAccuracyOptions = {},
): Promise<PhotoAccuracy> {
  if (photos.length === 0) throw new Error('photoAccuracy: no photos given');
  const predicted: number[] = [];
  let correct = 0;
  for (let start = 0; start < photos.length; start += batchSize) {
    const batch = photos.slice(start, start + batchSize);
    const x = await loadImagesFor(
      batch.map((p) => p.file),
      model,
      { fit },
    );
    try {
      const labels = await predictLabels(model, x, batchSize);
      labels.forEach((p, i) => {
        predicted.push(p);
        if (p === batch[i].label) correct++;
      });
    } finally {
      x.dispose();
    }
    onProgress?.(predicted.length, photos.length, correct);
  }
  return { total: photos.length, correct, top1: correct / photos.length, predicted };
}
