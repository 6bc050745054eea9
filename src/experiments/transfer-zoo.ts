/**
 * Cross-model transfer on ImageNet: adversarials crafted on each zoo model (white box, with the photos'
 * true labels) are evaluated on every model. Cell (source, target) is the flip rate: among the photos the
 * target classifies correctly, the fraction it misclassifies once the source's perturbation is added.
 * The diagonal is the white-box success rate.
 *
 * A target with another input size sees the source's images resized (bilinear) to its size, clean and
 * adversarial alike, so only the perturbation differs between the two.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Attack } from '../attacks/attack.js';
import { loadImagesFor } from '../data/images.js';
import { sharedDataDir } from '../data/locations.js';
import { Rng } from '../engine/random.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { AdvxError } from '../errors.js';
import { imagenetClasses } from '../models/labels.js';
import { predictLabels, type Model } from '../models/model.js';

export function imagenetSampleDir(): string {
  return join(sharedDataDir(), 'imagenet-sample-images');
}

/** The ImageNet class of a file named after its wnid (e.g. `n03792972_mountain_tent.JPEG`). */
export function imagenetLabelOfFile(file: string): number {
  const wnid = /^(n\d{8})/.exec(basename(file))?.[1];
  if (wnid === undefined)
    throw new AdvxError(
      'bad-file',
      `${file}: cannot tell its ImageNet class (the name must start with a wnid like n03792972)`,
    );
  const c = imagenetClasses().find((k) => k.wnid === wnid);
  if (c === undefined)
    throw new AdvxError('bad-file', `${file}: ${wnid} is not one of the 1000 ImageNet classes`);
  return c.index;
}

/** `count` photos of the sample folder, chosen by a seeded shuffle of the sorted file names. */
export function sampleImagenetFiles(count: number, seed: number, dir = imagenetSampleDir()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => /^n\d{8}.*\.(jpe?g|png)$/i.test(f))
      .sort();
  } catch {
    throw new AdvxError('bad-file', `ImageNet sample images not found at ${dir} (set ADVX_HOME)`);
  }
  if (!Number.isInteger(count) || count < 1)
    throw new AdvxError('bad-option', `image count must be an integer >= 1 (got ${count})`);
  if (count > names.length)
    throw new AdvxError('bad-option', `asked for ${count} images, ${dir} holds ${names.length}`);
  const order = new Rng(seed).permutation(names.length);
  return Array.from(order.slice(0, count), (i) => join(dir, names[i]));
}

export interface TransferZooOptions {
  /** Image files (ImageNet photos), loaded for each source model with its own size and bounds. */
  files?: readonly string[];
  /** Instead of files: the inputs as a source model sees them, `[N,H,W,C]` in its bounds. */
  loadInputs?: (model: Model) => Promise<Tensor4D>;
  /** True class per input. */
  labels: readonly number[];
  attack: Attack;
  eps: number;
  /** Images per attack batch (default 8). */
  batchSize?: number;
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface TransferCell {
  source: string;
  target: string;
  /** Photos the target classifies correctly (clean). */
  evaluated: number;
  /** Of those, how many it misclassifies after the source's attack. */
  flipped: number;
  /** flipped / evaluated; null when the target got none right. */
  flipRate: number | null;
}

export interface TransferZooResult {
  models: string[];
  /** Number of inputs, and their files when given. */
  images: number;
  files: string[];
  attack: string;
  eps: number;
  /** Clean top-1 accuracy of each model on its own view of the photos. */
  cleanAccuracy: number[];
  /** matrix[source][target]. */
  matrix: TransferCell[][];
}

/** Maps images of `from`'s shape and bounds to `to`'s (bilinear resize, linear map of the bounds). */
export function adaptInputs(
  x: Tensor4D,
  from: Pick<Model, 'bounds'>,
  to: Pick<Model, 'inputShape' | 'bounds'>,
): Tensor4D {
  return tf.tidy(() => {
    const [h, w, c] = to.inputShape;
    if (x.shape[3] !== c)
      throw new AdvxError(
        'bad-input',
        `cannot feed ${x.shape[3]}-channel images to a model with ${c} channels`,
      );
    let y: Tensor4D =
      x.shape[1] === h && x.shape[2] === w ? tf.clone(x) : tf.image.resizeBilinear(x, [h, w], false, true);
    if (from.bounds[0] !== to.bounds[0] || from.bounds[1] !== to.bounds[1]) {
      const scale = (to.bounds[1] - to.bounds[0]) / (from.bounds[1] - from.bounds[0]);
      y = tf.add(tf.mul(tf.sub(y, from.bounds[0]), scale), to.bounds[0]) as Tensor4D;
    }
    return tf.clipByValue(y, to.bounds[0], to.bounds[1]) as Tensor4D;
  });
}

export async function transferZoo(
  models: readonly Model[],
  options: TransferZooOptions,
): Promise<TransferZooResult> {
  const { labels, attack, eps } = options;
  const files = [...(options.files ?? [])];
  if (models.length === 0) throw new AdvxError('bad-input', 'transfer: give at least one model');
  if (options.loadInputs === undefined && files.length !== labels.length) {
    throw new AdvxError('bad-input', `transfer: ${labels.length} labels for ${files.length} images`);
  }
  if (labels.length === 0) throw new AdvxError('bad-input', 'transfer: no images');
  const count = labels.length;
  const load = options.loadInputs ?? ((model: Model) => loadImagesFor(files, model));
  const batchSize = options.batchSize ?? 8;
  const matrix: TransferCell[][] = [];
  const cleanAccuracy: number[] = [];
  for (const [s, source] of models.entries()) {
    const x = await load(source);
    if (x.shape[0] !== count)
      throw new AdvxError('bad-input', `transfer: ${x.shape[0]} inputs for ${count} labels`, {
        option: 'labels',
      });
    const parts: Tensor4D[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const xb = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const result = await attack.run(source, xb, labels.slice(start, start + size), {
        epsilons: eps,
        onProgress: (p) =>
          options.onProgress?.(`crafting on ${source.name}`, start + (size * p.step) / p.steps, count),
      });
      parts.push(result.clipped);
      tf.dispose([xb, result.raw]);
    }
    const adversarial = tf.concat(parts) as Tensor4D;
    tf.dispose(parts);
    const row: TransferCell[] = [];
    for (const target of models) {
      const clean = adaptInputs(x, source, target);
      const adv = adaptInputs(adversarial, source, target);
      const cleanPred = await predictLabels(target, clean, batchSize);
      const advPred = await predictLabels(target, adv, batchSize);
      tf.dispose([clean, adv]);
      let evaluated = 0;
      let flipped = 0;
      labels.forEach((label, n) => {
        if (cleanPred[n] !== label) return;
        evaluated++;
        if (advPred[n] !== label) flipped++;
      });
      row.push({
        source: source.name,
        target: target.name,
        evaluated,
        flipped,
        flipRate: evaluated === 0 ? null : flipped / evaluated,
      });
      if (target === source) cleanAccuracy[s] = evaluated / count;
    }
    matrix.push(row);
    tf.dispose([x, adversarial]);
    options.onProgress?.(`crafted on ${source.name}`, count, count);
  }
  return {
    models: models.map((m) => m.name),
    images: count,
    files,
    attack: attack.name,
    eps,
    cleanAccuracy,
    matrix,
  };
}
