/**
 * DCGAN training in TensorFlow.js (non-saturating GAN loss, Adam(2e-4, beta1 0.5), one-sided label
 * smoothing 0.9), seeded: the same seed gives the same run. Sample grids of a fixed set of codes show
 * progress; `startEpoch` with restored optimizer states resumes an interrupted run exactly.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { setConvWeightGradients, useFastGradientLayers } from '../engine/unfused-layers.js';
import { encodePngBytes } from '../data/png.js';
import { embeddedModelOrPath } from '../data/locations.js';
import type { ImageDataset } from '../data/datasets.js';
import { Rng } from '../engine/random.js';
import { loadNetwork } from '../models/model-files.js';
import { generatorShape } from './gan-architecture.js';
import { gatherImages } from './train-classifier.js';

export interface GanProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  discriminatorLoss: number;
  generatorLoss: number;
}

export interface GanEpochSummary {
  epoch: number;
  discriminatorLoss: number;
  generatorLoss: number;
  /** Mean probability D gives real training images over the epoch. */
  realScore: number;
  /** Mean probability D gives generated images over the epoch. */
  fakeScore: number;
  seconds: number;
}

export interface GanOptimizers {
  generator: tf.Optimizer;
  discriminator: tf.Optimizer;
}

export interface GanTrainOptions {
  epochs: number;
  batchSize: number;
  /** Adam learning rate of both networks (default 2e-4). */
  learningRate?: number;
  /** Adam beta1 (default 0.5). */
  beta1?: number;
  /** Seeds the shuffling and the latent codes of every step. */
  seed: number;
  /** Epochs already trained (resuming): training starts at startEpoch + 1 with a full run's shuffles and codes. */
  startEpoch?: number;
  /** Optimizers to use (e.g. restored from a checkpoint); the caller disposes them. Default: fresh Adam. */
  optimizers?: GanOptimizers;
  /** Stop each epoch after this many batches (smoke runs). */
  batchesPerEpoch?: number;
  onProgress?: (p: GanProgress) => void;
  onEpochEnd?: (e: GanEpochSummary, state: GanOptimizers) => void | Promise<void>;
}

export interface GanTrainResult {
  history: GanEpochSummary[];
  seconds: number;
}

/** The trainable variables of a layers model, in a fixed order. */
function variablesOf(net: tf.LayersModel): tf.Variable[] {
  return net.trainableWeights.map((w) => w.read() as tf.Variable);
}

const REAL_TARGET = 0.9;

/** D's loss on logits of real and generated images: BCE with one-sided smoothing (real target 0.9). */
export function discriminatorLoss(realLogits: Tensor2D, fakeLogits: Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const real = tf.add(
      tf.mul(REAL_TARGET, tf.softplus(tf.neg(realLogits))),
      tf.mul(1 - REAL_TARGET, tf.softplus(realLogits)),
    );
    return tf.add(tf.mean(real), tf.mean(tf.softplus(fakeLogits))) as tf.Scalar;
  });
}

/** G's non-saturating loss: -log D(G(z)). */
export function generatorLoss(fakeLogits: Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))) as tf.Scalar);
}

/** Seeded standard-normal latent codes [n, latentDim]. */
export function latentCodes(n: number, latentDim: number, seed: number): Tensor2D {
  return tf.randomNormal([n, latentDim], 0, 1, 'float32', seed) as Tensor2D;
}

function checkGanOptions(o: GanTrainOptions, data: ImageDataset, generator: tf.LayersModel): void {
  for (const [name, v] of [
    ['epochs', o.epochs],
    ['batchSize', o.batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`trainGan: ${name} must be a positive integer (got ${v})`);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`trainGan: seed must be an integer (got ${o.seed})`);
  const lr = o.learningRate ?? 2e-4;
  if (!(lr > 0) || !Number.isFinite(lr))
    throw new Error(`trainGan: learningRate must be a positive number (got ${lr})`);
  const start = o.startEpoch ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > o.epochs)
    throw new Error(`trainGan: startEpoch must be in [0, epochs] (got ${start})`);
  const { imageShape } = generatorShape(generator);
  if (imageShape.join() !== data.shape.join()) {
    throw new Error(
      `trainGan: the generator makes ${imageShape.join('x')} images but the data are ${data.shape.join('x')}`,
    );
  }
  if (data.count < o.batchSize)
    throw new Error(`trainGan: ${data.count} training images are fewer than one batch of ${o.batchSize}`);
}

/**
 * Trains `generator` against `discriminator` on `data` (images in [0,1]). Each step: one Adam step of D on
 * a real batch and a generated batch, then one of G on a fresh generated batch. Incomplete last batches
 * are dropped (batch statistics of a tiny batch would be noise).
 */
export async function trainGan(
  generator: tf.LayersModel,
  discriminator: tf.LayersModel,
  data: ImageDataset,
  options: GanTrainOptions,
): Promise<GanTrainResult> {
  checkGanOptions(options, data, generator);
  const { latentDim } = generatorShape(generator);
  // Dense layers: lazy weight gradients; convolutions: gradients as forward convolutions.
  for (const net of [generator, discriminator]) useFastGradientLayers(net);
  const lr = options.learningRate ?? 2e-4;
  const beta1 = options.beta1 ?? 0.5;
  const own = options.optimizers === undefined;
  const optimizers: GanOptimizers = options.optimizers ?? {
    generator: tf.train.adam(lr, beta1),
    discriminator: tf.train.adam(lr, beta1),
  };
  const gVars = variablesOf(generator);
  const dVars = variablesOf(discriminator);
  const rng = new Rng(options.seed);
  const fullBatches = Math.floor(data.count / options.batchSize);
  const batches = Math.min(fullBatches, options.batchesPerEpoch ?? fullBatches);
  const startEpoch = options.startEpoch ?? 0;
  const history: GanEpochSummary[] = [];
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const order = rng.permutation(data.count);
      if (epoch <= startEpoch) continue; // replay the shuffles of the epochs already trained
      const epochStart = performance.now();
      const sums = { d: 0, g: 0, real: 0, fake: 0 };
      for (let b = 0; b < batches; b++) {
        const stepSeed = (options.seed * 7919 + epoch * 100_003 + b * 2) >>> 0;
        const real = gatherImages(data, order.subarray(b * options.batchSize, (b + 1) * options.batchSize));
        let scores: tf.Tensor | null = null;
        const dLoss = optimizers.discriminator.minimize(
          () => {
            const fake = tf.tidy(
              () =>
                generator.apply(latentCodes(options.batchSize, latentDim, stepSeed), {
                  training: true,
                }) as Tensor4D,
            );
            const realLogits = discriminator.apply(real, { training: true }) as Tensor2D;
            const fakeLogits = discriminator.apply(fake, { training: true }) as Tensor2D;
            scores = tf.keep(tf.stack([tf.mean(tf.sigmoid(realLogits)), tf.mean(tf.sigmoid(fakeLogits))]));
            return discriminatorLoss(realLogits, fakeLogits);
          },
          true,
          dVars,
        ) as tf.Scalar;
        setConvWeightGradients(discriminator, false); // G's step needs D's input gradient only
        const gLoss = optimizers.generator.minimize(
          () => {
            const fake = generator.apply(latentCodes(options.batchSize, latentDim, stepSeed + 1), {
              training: true,
            }) as Tensor4D;
            return generatorLoss(discriminator.apply(fake, { training: true }) as Tensor2D);
          },
          true,
          gVars,
        ) as tf.Scalar;
        setConvWeightGradients(discriminator, true);
        const d = dLoss.dataSync()[0];
        const g = gLoss.dataSync()[0];
        const [realScore, fakeScore] = (scores as tf.Tensor | null)?.dataSync() ?? [0, 0];
        tf.dispose(
          [real, dLoss, gLoss, scores as tf.Tensor | null].filter((t): t is tf.Tensor => t !== null),
        );
        if (!Number.isFinite(d) || !Number.isFinite(g)) {
          throw new Error(
            `trainGan: a loss became non-finite at epoch ${epoch}, batch ${b + 1} (D ${d}, G ${g})`,
          );
        }
        sums.d += d;
        sums.g += g;
        sums.real += realScore;
        sums.fake += fakeScore;
        options.onProgress?.({
          epoch,
          epochs: options.epochs,
          batch: b + 1,
          batches,
          discriminatorLoss: d,
          generatorLoss: g,
        });
        if (b % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      const summary: GanEpochSummary = {
        epoch,
        discriminatorLoss: sums.d / batches,
        generatorLoss: sums.g / batches,
        realScore: sums.real / batches,
        fakeScore: sums.fake / batches,
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(summary);
      await options.onEpochEnd?.(summary, optimizers);
    }
  } finally {
    if (own) {
      optimizers.generator.dispose();
      optimizers.discriminator.dispose();
    }
  }
  return { history, seconds: (performance.now() - started) / 1000 };
}

/**
 * A grid of generated images as PNG bytes: `rows` x `cols` samples from the codes `z` (inference mode),
 * each upscaled `scale` times, separated by 2-pixel white lines.
 */
export function sampleGridPng(generator: tf.LayersModel, z: Tensor2D, cols: number, scale = 2): Buffer {
  const n = z.shape[0];
  if (!Number.isInteger(cols) || cols < 1)
    throw new Error(`sampleGrid: cols must be a positive integer (got ${cols})`);
  const rows = Math.ceil(n / cols);
  const images = tf.tidy(() => generator.predict(z) as Tensor4D);
  const [, h, w, c] = images.shape;
  if (c !== 1) {
    images.dispose();
    throw new Error(`sampleGrid: grey images only (got ${c} channels)`);
  }
  const pixels = images.dataSync();
  images.dispose();
  const gap = 2;
  const width = cols * (w * scale + gap) + gap;
  const height = rows * (h * scale + gap) + gap;
  const out = new Uint8Array(width * height).fill(255);
  for (let k = 0; k < n; k++) {
    const top = gap + Math.floor(k / cols) * (h * scale + gap);
    const left = gap + (k % cols) * (w * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const v = pixels[k * h * w + Math.floor(y / scale) * w + Math.floor(x / scale)];
        out[(top + y) * width + left + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  return encodePngBytes(out, height, width, 1);
}

/**
 * Loads a generator saved by `advx train gan`: a folder with model.json, the model.json itself, or the name
 * of the one that ships with advx (`fashion-mnist-gan`).
 */
export async function loadGenerator(spec: string): Promise<tf.LayersModel> {
  const path = embeddedModelOrPath(spec);
  const dir = resolve(path.endsWith('.json') ? join(path, '..') : path);
  if (!existsSync(join(dir, 'model.json'))) throw new Error(`${dir}: no generator model.json there`);
  const { net: loaded } = await loadNetwork(dir);
  const net = loaded as tf.LayersModel;
  try {
    if (net.layers === undefined)
      throw new Error('a graph model cannot be a generator here (a layers model is needed)');
    generatorShape(net);
  } catch (error) {
    net.dispose();
    throw new Error(`${dir}: ${(error as Error).message}`, { cause: error });
  }
  return net;
}
