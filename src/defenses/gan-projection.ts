/**
 * The projection defense: Defense-GAN (Samangouei et al. 2018) / the robust manifold defense (Ilyas,
 * Jalal et al. 2017). An input x is replaced by G(z*), z* = argmin_z ||G(z) - x||^2, found by Adam on z
 * from `restarts` random starts (z ~ N(0, I)) for `steps` steps each, keeping the restart with the
 * smallest distance; the classifier sees G(z*).
 *
 * Gradients: the projection is an inner optimisation, so `ganProjection(...)` passes gradients straight
 * through it, BPDA style: the input gradient of a loss is the classifier's at G(z*) (asked of the
 * classifier through the model seam, so the classifier may run on any engine). That is why the model says
 * `differentiable: true`: gradient attacks run on it and make the adaptive (BPDA) attack. The defense's
 * randomness (the starts) is seeded: by default every call uses `seed` (the same input always gives the
 * same output); with `fresh: true` each call draws new starts from a generator seeded with `seed`, the
 * randomized defense that EOT attacks average over.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { useFastGradientLayers } from '../engine/unfused-layers.js';
import type { Loss } from '../models/loss.js';
import type { LossGradient, Model } from '../models/model.js';
import { generatorShape } from '../train/gan-architecture.js';
import { offTape } from './bpda.js';

export interface ProjectionOptions {
  /** Adam steps on z per restart (Defense-GAN's L; default 100). */
  steps?: number;
  /** Random starts per input (Defense-GAN's R; default 4). */
  restarts?: number;
  /** Adam learning rate on z (default 0.05). */
  lr?: number;
  /** Seed of the random starts (default 0). */
  seed?: number;
  /** Images projected together (each with all its restarts; default 64). */
  batchSize?: number;
}

export interface Projection {
  /** G(z*) per input, [N,H,W,C]. */
  reconstruction: Tensor4D;
  /** z* per input, [N, latentDim]. */
  codes: Tensor2D;
  /** Mean squared error per pixel between G(z*) and the input, per input. */
  distances: Float32Array;
}

export type ResolvedProjectionOptions = Required<ProjectionOptions>;

export function resolveProjectionOptions(options: ProjectionOptions = {}): ResolvedProjectionOptions {
  const o = { steps: 100, restarts: 4, lr: 0.05, seed: 0, batchSize: 64, ...stripUndefined(options) };
  for (const key of ['steps', 'restarts', 'batchSize'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < (key === 'steps' ? 0 : 1)) {
      throw new Error(
        `ganProjection: ${key} must be an integer >= ${key === 'steps' ? 0 : 1} (got ${o[key]})`,
      );
    }
  }
  if (!Number.isFinite(o.lr) || o.lr <= 0)
    throw new Error(`ganProjection: lr must be a positive number (got ${o.lr})`);
  if (!Number.isInteger(o.seed)) throw new Error(`ganProjection: seed must be an integer (got ${o.seed})`);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const prepared = new WeakSet<tf.LayersModel>();

/** Input-only, fast gradients through the generator (it is never trained here). */
function prepare(generator: tf.LayersModel): void {
  if (prepared.has(generator)) return;
  useFastGradientLayers(generator, { weightGradients: false });
  prepared.add(generator);
}

/** Per-row mean squared error between two image batches, [N]. */
function rowMse(a: Tensor4D, b: Tensor4D): tf.Tensor1D {
  return tf.mean(tf.reshape(tf.squaredDifference(a, b), [a.shape[0], -1]), 1) as tf.Tensor1D;
}

/** Projects one chunk: R restarts per image, all optimised together. */
function projectChunk(
  generator: tf.LayersModel,
  x: Tensor4D,
  latentDim: number,
  o: ResolvedProjectionOptions,
  seed: number,
) {
  const n = x.shape[0];
  const rows = n * o.restarts;
  // Row r*n + i is restart r of image i.
  const target = tf.tidy(() => tf.tile(x, [o.restarts, 1, 1, 1]) as Tensor4D);
  const start = tf.randomNormal([rows, latentDim], 0, 1, 'float32', seed);
  const z = tf.variable(start, true);
  start.dispose();
  const optimizer = tf.train.adam(o.lr);
  try {
    for (let step = 0; step < o.steps; step++) {
      // Sum over rows of each row's mean squared error: every code gets its own gradient.
      const cost = optimizer.minimize(
        () => tf.sum(rowMse(generator.apply(z, { training: false }) as Tensor4D, target)) as tf.Scalar,
        false,
        [z],
      );
      cost?.dispose();
    }
    return tf.tidy(() => {
      const images = generator.apply(z, { training: false }) as Tensor4D;
      const mse = tf.reshape(rowMse(images, target), [o.restarts, n]);
      const best = tf.argMin(mse, 0); // [n]: the restart of each image
      const rowIndex = tf.cast(tf.add(tf.mul(best, n), tf.range(0, n, 1, 'int32')), 'int32');
      return {
        reconstruction: tf.gather(images, rowIndex) as Tensor4D,
        codes: tf.gather(z, rowIndex) as Tensor2D,
        distances: tf.min(mse, 0) as tf.Tensor1D,
      };
    });
  } finally {
    optimizer.dispose();
    z.dispose();
    target.dispose();
  }
}

/**
 * Projects `x` onto the range of `generator`: G(z*) per input with z* the best of `restarts` Adam runs
 * of `steps` steps on ||G(z) - x||^2. Batched (`batchSize` images at a time) and seeded. Runs off the
 * gradient tape (its result is a constant for an enclosing tf.grad). The caller disposes the tensors.
 */
export function projectOntoGenerator(
  generator: tf.LayersModel,
  x: Tensor4D,
  options: ProjectionOptions = {},
): Projection {
  const o = resolveProjectionOptions(options);
  const { latentDim, imageShape } = generatorShape(generator);
  if (x.rank !== 4 || x.shape.slice(1).join() !== imageShape.join()) {
    throw new Error(
      `ganProjection: inputs [${x.shape}] do not match the generator's images [N,${imageShape.join(',')}]`,
    );
  }
  prepare(generator);
  return offTape(() => {
    const n = x.shape[0];
    const parts: { reconstruction: Tensor4D; codes: Tensor2D; distances: tf.Tensor1D }[] = [];
    const rng = new Rng(o.seed);
    for (let start = 0; start < n; start += o.batchSize) {
      const size = Math.min(o.batchSize, n - start);
      const chunk = size === n ? x : tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      parts.push(projectChunk(generator, chunk, latentDim, o, rng.seed()));
      if (chunk !== x) chunk.dispose();
    }
    const out = tf.tidy(() => ({
      reconstruction: tf.concat(parts.map((p) => p.reconstruction)) as Tensor4D,
      codes: tf.concat(parts.map((p) => p.codes)) as Tensor2D,
      distances: tf.concat(parts.map((p) => p.distances)) as tf.Tensor1D,
    }));
    for (const p of parts) tf.dispose([p.reconstruction, p.codes, p.distances]);
    const distances = out.distances.dataSync() as Float32Array;
    out.distances.dispose();
    return { reconstruction: out.reconstruction, codes: out.codes, distances: Float32Array.from(distances) };
  });
}

export interface GanProjectionOptions extends ProjectionOptions {
  /** Draw new random starts on every call (a randomized defense, for EOT); default false. */
  fresh?: boolean;
  name?: string;
}

/** A classifier behind a GAN projection, as an advx Model (see the file comment for its gradients). */
export class GanProjectionModel implements Model {
  readonly name: string;
  readonly bounds;
  readonly inputShape;
  readonly numClasses: number;
  readonly labels: readonly string[];
  /** True in the BPDA sense: the gradient is the classifier's at G(z*), passed straight through. */
  readonly differentiable = true;
  readonly engine = 'defense';
  readonly options: ResolvedProjectionOptions & { fresh: boolean };
  private readonly rng: Rng;

  constructor(
    readonly generator: tf.LayersModel,
    readonly classifier: Model,
    options: GanProjectionOptions = {},
  ) {
    const { fresh, name, ...projection } = options;
    this.options = { ...resolveProjectionOptions(projection), fresh: fresh ?? false };
    const { imageShape } = generatorShape(generator);
    if (imageShape.join() !== classifier.inputShape.join()) {
      throw new Error(
        `ganProjection: the generator makes ${imageShape.join('x')} images, the classifier takes ${classifier.inputShape.join('x')}`,
      );
    }
    if (classifier.bounds[0] !== 0 || classifier.bounds[1] !== 1) {
      throw new Error(
        `ganProjection: the classifier must take pixels in [0,1] like the generator's sigmoid output (got [${classifier.bounds}])`,
      );
    }
    this.name = name ?? `${classifier.name}+gan-projection`;
    this.bounds = classifier.bounds;
    this.inputShape = classifier.inputShape;
    this.numClasses = classifier.numClasses;
    this.labels = classifier.labels;
    this.rng = new Rng(this.options.seed);
  }

  /** G(z*) for x (the seed of this call: `seed`, or the next fresh one). The caller disposes it. */
  project(x: Tensor4D): Tensor4D {
    const seed = this.options.fresh ? this.rng.seed() : this.options.seed;
    const { reconstruction, codes } = projectOntoGenerator(this.generator, x, { ...this.options, seed });
    codes.dispose();
    return reconstruction;
  }

  /** The classifier's logits of G(z*). */
  async logits(x: Tensor4D): Promise<Tensor2D> {
    const projected = this.project(x);
    try {
      return await this.classifier.logits(projected);
    } finally {
      projected.dispose();
    }
  }

  /** BPDA: the classifier's gradient at G(z*), passed straight through the projection. */
  async lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
    const projected = this.project(x);
    try {
      return await this.classifier.lossGradient(projected, loss);
    } finally {
      projected.dispose();
    }
  }

  /** The generator and classifier belong to the caller. */
  dispose(): void {}
}

/** `defenses.ganProjection(generator, classifier, {steps, restarts, lr, seed})`: see GanProjectionModel. */
export function ganProjection(
  generator: tf.LayersModel,
  classifier: Model,
  options: GanProjectionOptions = {},
): GanProjectionModel {
  return new GanProjectionModel(generator, classifier, options);
}
