/**
 * PGD on noise (the book's Figure 10.7): take noise images of the sweep, run Linf PGD untargeted (away
 * from the noise's own top-1 class) and, given a target class, targeted; record the top-1 class and its
 * confidence before and after, and how many end classified with confidence >= 0.9.
 */
import { LinfPGD } from '../attacks/gradient-descent.js';
import { misclassification, targeted } from '../criteria/index.js';
import { checkSeed } from '../engine/random.js';
import { tf } from '../engine/tf.js';
import { AdvxError } from '../errors.js';
import { checkCount, LIMITS } from '../limits.js';
import { topPredictions, type Bounds, type Model, type Prediction } from '../models/model.js';
import { checkNoiseImages, noiseBatch, type NoiseJob, type NoisePoint } from './noise-sweep.js';

export type NoisePgdMode = 'untargeted' | 'targeted';

export interface NoisePgdOptions {
  points: readonly NoisePoint[];
  /** Noise images per point (default 1). */
  samples?: number;
  /** Seed of the noise (the sweep's seed gives the sweep's images) and of PGD's random start. */
  seed?: number;
  /** Linf radius in units of the bounds. */
  eps: number;
  /** PGD steps (default 10). */
  steps?: number;
  /** Step size relative to eps (default 2.5 / steps, Madry et al.'s rule). */
  relStepsize?: number;
  /** Target class for the targeted run; none: untargeted only. */
  target?: number;
  /** The confidence the summary counts (default 0.9). */
  confidence?: number;
  onProgress?: (label: string, step: number, steps: number) => void;
}

export interface NoisePgdRow {
  model: string;
  mu: number;
  sigma: number;
  sample: number;
  mode: NoisePgdMode;
  /** Target class of a targeted run. */
  target: { index: number; name: string } | null;
  before: Prediction;
  after: Prediction;
  /** Untargeted: top-1 changed; targeted: top-1 is the target. */
  success: boolean;
  linf: number;
}

export interface NoisePgdResult {
  model: string;
  eps: number;
  steps: number;
  relStepsize: number;
  confidence: number;
  rows: NoisePgdRow[];
  /** Per mode, the fraction of images whose top-1 confidence after PGD is >= `confidence`. */
  confidentAfter: Partial<Record<NoisePgdMode, number>>;
  /** The same fraction before PGD. */
  confidentBefore: number;
  /** Per row: the noise image and the adversarial, HWC values in `bounds`. */
  examples: { noise: Float32Array; adversarial: Float32Array }[];
  shape: readonly [number, number, number];
  bounds: Bounds;
}

export async function noisePgd(model: Model, options: NoisePgdOptions): Promise<NoisePgdResult> {
  const samples = checkCount(options.samples ?? 1, 'samples', 1);
  if (options.points.length === 0)
    throw new AdvxError('bad-option', 'noise PGD: no (mu, sigma) points', { option: 'points' });
  // One batch holds every noise image: bounded as a batch is.
  checkNoiseImages(options.points.length, samples, LIMITS.batchSize);
  const steps = checkCount(options.steps ?? 10, 'steps', 1);
  const relStepsize = options.relStepsize ?? 2.5 / steps;
  const confidence = options.confidence ?? 0.9;
  const seed = checkSeed(options.seed ?? 0);
  const range = model.bounds[1] - model.bounds[0];
  if (!(options.eps > 0 && options.eps <= range))
    throw new AdvxError('bad-option', `eps must be in (0, ${range}] (got ${options.eps})`, { option: 'eps' });
  if (
    options.target !== undefined &&
    !(Number.isInteger(options.target) && options.target >= 0 && options.target < model.numClasses)
  ) {
    throw new AdvxError(
      'bad-option',
      `target class ${options.target} is out of range (the model has ${model.numClasses} classes)`,
      { option: 'target' },
    );
  }
  const jobs: NoiseJob[] = options.points.flatMap((point) =>
    Array.from({ length: samples }, (_, sample) => ({ point, sample })),
  );
  const x = noiseBatch(model, jobs, seed);
  const before = (await topPredictions(model, x, 1)).map((t) => t[0]);
  const labels = before.map((p) => p.index);
  const noisePixels = await x.data();
  const size = model.inputShape[0] * model.inputShape[1] * model.inputShape[2];

  const modes: NoisePgdMode[] = options.target === undefined ? ['untargeted'] : ['untargeted', 'targeted'];
  const rows: NoisePgdRow[] = [];
  const examples: NoisePgdResult['examples'] = [];
  const confidentAfter: NoisePgdResult['confidentAfter'] = {};
  for (const mode of modes) {
    const attack = new LinfPGD({ steps, relStepsize, randomStart: true, seed });
    const criterion =
      mode === 'untargeted'
        ? misclassification(labels)
        : targeted(labels.map(() => options.target as number));
    const result = await attack.run(model, x, criterion, {
      epsilons: options.eps,
      onProgress: (p) => options.onProgress?.(mode, p.step, p.steps),
    });
    const after = (await topPredictions(model, result.clipped, 1)).map((t) => t[0]);
    const linf = tf.tidy(() => tf.max(tf.abs(tf.sub(result.clipped, x)), [1, 2, 3]));
    const linfs = Array.from(await linf.data());
    const advPixels = await result.clipped.data();
    tf.dispose([linf, result.raw, result.clipped]);
    jobs.forEach((job, n) => {
      rows.push({
        model: model.name,
        mu: job.point.mu,
        sigma: job.point.sigma,
        sample: job.sample,
        mode,
        target:
          mode === 'targeted'
            ? { index: options.target as number, name: model.labels[options.target as number] }
            : null,
        before: before[n],
        after: after[n],
        success: result.success[n],
        linf: linfs[n],
      });
      examples.push({
        noise: (noisePixels as Float32Array).slice(n * size, (n + 1) * size),
        adversarial: (advPixels as Float32Array).slice(n * size, (n + 1) * size),
      });
    });
    confidentAfter[mode] = after.filter((p) => p.p >= confidence).length / after.length;
  }
  x.dispose();
  return {
    model: model.name,
    eps: options.eps,
    steps,
    relStepsize,
    confidence,
    rows,
    confidentAfter,
    confidentBefore: before.filter((p) => p.p >= confidence).length / before.length,
    examples,
    shape: model.inputShape,
    bounds: model.bounds,
  };
}

/** Rows of `noise` and `adversarial` as tensors `[H,W,C]` for image panels (caller disposes). */
export function exampleTensors(
  result: NoisePgdResult,
  row: number,
): { noise: tf.Tensor3D; adversarial: tf.Tensor3D } {
  const [h, w, c] = result.shape;
  const e = result.examples[row];
  return { noise: tf.tensor3d(e.noise, [h, w, c]), adversarial: tf.tensor3d(e.adversarial, [h, w, c]) };
}
