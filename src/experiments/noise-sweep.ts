/**
 * The book's noise experiment (Figures 10.5 and 10.8): pure Gaussian noise N(mu, sigma) in pixel units
 * (0..255), clipped to the valid range, fed to ImageNet models; the top-k predictions per noise image
 * are what `initialization_vals_for_noise.csv` holds.
 *
 * Noise is drawn in pixel units, clipped to [0, 255], divided by 255 and mapped into the model's bounds;
 * the model's own preprocessing (caffe, [-1,1], ...) does the rest. Every noise image is a function of
 * (seed, mu, sigma, sample index, shape) only, so other experiments (PGD on noise) and other models of
 * the same input shape see exactly the same images.
 */
import { checkSeed } from '../engine/random.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { AdvxError } from '../errors.js';
import { checkCount, LIMITS } from '../limits.js';
import { imagenetClasses } from '../models/labels.js';
import { topPredictions, type Bounds, type Model, type Prediction } from '../models/model.js';

export interface NoisePoint {
  mu: number;
  sigma: number;
}

/** `zip` pairs the i-th mu with the i-th sigma (as Python's zip: the shorter list wins); `grid` takes every pair. */
export type PairMode = 'zip' | 'grid';

/** Mu in pixel units: the mean of a pixel distribution is a pixel value. */
export const MU_RANGE: readonly [number, number] = [0, 255];

export function noisePoints(mus: readonly number[], sigmas: readonly number[], mode: PairMode): NoisePoint[] {
  if (mus.length === 0 || sigmas.length === 0)
    throw new AdvxError('bad-option', 'noise sweep: give at least one mu and one sigma', { option: 'mu' });
  for (const [what, list] of [
    ['mu', mus],
    ['sigma', sigmas],
  ] as const) {
    if (list.length > LIMITS.listLength)
      throw new AdvxError('too-large', `${what}: ${list.length} values; give at most ${LIMITS.listLength}`, {
        option: what,
      });
  }
  for (const sigma of sigmas)
    if (!(sigma >= 0) || !Number.isFinite(sigma))
      throw new AdvxError('bad-option', `sigma must be a finite number >= 0 (got ${sigma})`, {
        option: 'sigma',
      });
  for (const mu of mus)
    if (!(mu >= MU_RANGE[0] && mu <= MU_RANGE[1]))
      throw new AdvxError(
        'bad-option',
        `mu must be in [${MU_RANGE[0]}, ${MU_RANGE[1]}], pixel units (got ${mu})`,
        { option: 'mu' },
      );
  if (mode === 'zip')
    return mus.slice(0, Math.min(mus.length, sigmas.length)).map((mu, i) => ({ mu, sigma: sigmas[i] }));
  if (mode === 'grid') {
    const count = mus.length * sigmas.length;
    if (count > LIMITS.noiseImages)
      throw new AdvxError(
        'too-large',
        `noise sweep: ${mus.length} mu x ${sigmas.length} sigma values make ${count} points; at most ${LIMITS.noiseImages}`,
        { option: 'pairs' },
      );
    return mus.flatMap((mu) => sigmas.map((sigma) => ({ mu, sigma })));
  }
  throw new AdvxError('bad-option', `pairs must be 'zip' or 'grid' (got '${String(mode)}')`, {
    option: 'pairs',
  });
}

/**
 * Noise images per model, `points x samples`, refused beyond `max` (LIMITS.noiseImages) before any is
 * drawn: a sweep keeps every image's predictions in memory.
 */
export function checkNoiseImages(points: number, samples: number, max: number = LIMITS.noiseImages): void {
  if (points * samples > max)
    throw new AdvxError(
      'too-large',
      `samples: ${points} (mu, sigma) points x ${samples} samples = ${points * samples} noise images; at most ${max}`,
      { option: 'samples' },
    );
}

/** A 31-bit seed for one noise image, from the run's seed, its point and its sample index (FNV-1a). */
export function noiseSeed(seed: number, point: NoisePoint, sample: number): number {
  const text = `${seed}|${point.mu}|${point.sigma}|${sample}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/**
 * Noise images `[N,H,W,C]` in `bounds`: N(mu, sigma) per value in pixel units, clipped to [0,255],
 * divided by 255 and mapped linearly into the bounds. `samples` are the sample indices (one image each).
 */
export function noiseImages(
  shape: readonly [number, number, number],
  bounds: Bounds,
  point: NoisePoint,
  samples: readonly number[],
  seed: number,
): Tensor4D {
  const [h, w, c] = shape;
  const [lo, hi] = bounds;
  return tf.tidy(() => {
    const images = samples.map((s) => {
      const pixels = tf.clipByValue(
        tf.randomNormal([1, h, w, c], point.mu, point.sigma, 'float32', noiseSeed(seed, point, s)),
        0,
        255,
      );
      return tf.add(tf.mul(pixels, (hi - lo) / 255), lo) as Tensor4D;
    });
    return tf.concat(images) as Tensor4D;
  });
}

export interface NoiseJob {
  point: NoisePoint;
  sample: number;
}

/** Noise images for a list of (point, sample) jobs, in that order. */
export function noiseBatch(
  model: Pick<Model, 'inputShape' | 'bounds'>,
  jobs: readonly NoiseJob[],
  seed: number,
): Tensor4D {
  return tf.tidy(
    () =>
      tf.concat(
        jobs.map((j) => noiseImages(model.inputShape, model.bounds, j.point, [j.sample], seed)),
      ) as Tensor4D,
  );
}

export interface NoiseSweepOptions {
  points: readonly NoisePoint[];
  /** Noise images per point (default 1). */
  samples?: number;
  /** Predictions kept per image (default 20, the book's top-20). */
  top?: number;
  seed?: number;
  /** Images per forward pass (default 8). */
  batchSize?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface NoisePrediction {
  model: string;
  mu: number;
  sigma: number;
  sample: number;
  /** The `top` most probable classes, best first; `id` is the ImageNet wnid (or the class index). */
  top: (Prediction & { id: string })[];
}

export interface NoiseSweepResult {
  models: string[];
  points: NoisePoint[];
  samples: number;
  top: number;
  seed: number;
  /** Ordered by model, then point, then sample. */
  predictions: NoisePrediction[];
}

/** Class ids for a model's outputs: ImageNet wnids when its labels are the ImageNet classes, else indices. */
export function classIds(model: Pick<Model, 'labels' | 'numClasses'>): string[] {
  if (model.numClasses === 1000) {
    try {
      const classes = imagenetClasses();
      if (classes.every((c, i) => model.labels[i] === c.name)) return classes.map((c) => c.wnid);
    } catch {
      // no ImageNet class list: fall back to indices
    }
  }
  return Array.from({ length: model.numClasses }, (_, i) => String(i));
}

/** Runs every model on every noise image of the sweep. */
export async function noiseSweep(
  models: readonly Model[],
  options: NoiseSweepOptions,
): Promise<NoiseSweepResult> {
  if (models.length === 0)
    throw new AdvxError('bad-option', 'noise sweep: give at least one model', { option: 'models' });
  const samples = checkCount(options.samples ?? 1, 'samples', 1);
  const top = checkCount(options.top ?? 20, 'top', 1);
  const batchSize = checkCount(options.batchSize ?? 8, 'batch size', 1, LIMITS.batchSize, 'batchSize');
  const seed = checkSeed(options.seed ?? 0);
  const points = [...options.points];
  if (points.length === 0)
    throw new AdvxError('bad-option', 'noise sweep: no (mu, sigma) points', { option: 'points' });
  checkNoiseImages(points.length, samples);
  const jobs: NoiseJob[] = points.flatMap((point) =>
    Array.from({ length: samples }, (_, sample) => ({ point, sample })),
  );
  const total = jobs.length * models.length;
  const predictions: NoisePrediction[] = [];
  let done = 0;
  for (const model of models) {
    const ids = classIds(model);
    const k = Math.min(top, model.numClasses);
    for (let start = 0; start < jobs.length; start += batchSize) {
      const chunk = jobs.slice(start, start + batchSize);
      const x = noiseBatch(model, chunk, seed);
      const tops = await topPredictions(model, x, k);
      x.dispose();
      chunk.forEach((job, i) =>
        predictions.push({
          model: model.name,
          mu: job.point.mu,
          sigma: job.point.sigma,
          sample: job.sample,
          top: tops[i].map((p) => ({ ...p, id: ids[p.index] })),
        }),
      );
      done += chunk.length;
      options.onProgress?.(done, total, model.name);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { models: models.map((m) => m.name), points, samples, top, seed, predictions };
}

export interface NoiseSummary {
  model: string;
  images: number;
  /** Fraction of noise images whose top-1 probability exceeds 0.5 / 0.9. */
  above50: number;
  above90: number;
  meanTop1: number;
  /** The most frequent top-1 classes with their counts. */
  frequent: { name: string; count: number }[];
}

/** How often each model is confident about pure noise. */
export function summarizeNoiseSweep(result: NoiseSweepResult, frequent = 3): NoiseSummary[] {
  return result.models.map((model) => {
    const rows = result.predictions.filter((p) => p.model === model);
    const top1 = rows.map((r) => r.top[0]);
    const counts = new Map<string, number>();
    for (const p of top1) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
    const n = Math.max(1, top1.length);
    return {
      model,
      images: rows.length,
      above50: top1.filter((p) => p.p > 0.5).length / n,
      above90: top1.filter((p) => p.p > 0.9).length / n,
      meanTop1: top1.reduce((s, p) => s + p.p, 0) / n,
      frequent: [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, frequent)
        .map(([name, count]) => ({ name, count })),
    };
  });
}
