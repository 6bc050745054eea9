/**
 * Virtual adversarial training (Miyato, Maeda, Koyama & Ishii 2018) for the semi-supervised case: a few
 * labelled images and many unlabelled ones.
 *
 * The local distributional smoothness of a model at x is LDS(x) = KL(p(.|x) || p(.|x + r_vadv)), with
 * r_vadv = eps * g/||g||_2 the direction that changes the prediction most, found by power iteration:
 * d ~ N(0, I) normalised, then g = grad_r KL(p(.|x) || p(.|x + r)) at r = xi * d (repeated
 * `powerIterations` times). p(.|x) is held constant. No label is needed, so LDS is computed on the
 * unlabelled images; the training loss is CE(labelled) + alpha * mean LDS(unlabelled).
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import type { ImageDataset } from '../data/datasets.js';
import { evaluateAccuracy, gatherImages, meanCrossEntropy } from '../train/train-classifier.js';
import { offTape } from './bpda.js';

export interface VatOptions {
  /** L2 radius of the virtual adversarial perturbation (default 2.0, the paper's MNIST value). */
  eps?: number;
  /** Size of the finite-difference probe of the power iteration (default 1e-2). */
  xi?: number;
  /** Power iterations (default 1, as in the paper). */
  powerIterations?: number;
  /** Seed of the random probe directions. */
  seed?: number;
}

type Forward = (x: Tensor4D) => Tensor2D;

function resolve(o: VatOptions): Required<VatOptions> {
  const r = {
    eps: o.eps ?? 2.0,
    xi: o.xi ?? 1e-2,
    powerIterations: o.powerIterations ?? 1,
    seed: o.seed ?? 0,
  };
  if (!(r.eps >= 0) || !Number.isFinite(r.eps))
    throw new Error(`vat: eps must be a number >= 0 (got ${r.eps})`);
  if (!(r.xi > 0) || !Number.isFinite(r.xi))
    throw new Error(`vat: xi must be a positive number (got ${r.xi})`);
  if (!Number.isInteger(r.powerIterations) || r.powerIterations < 1) {
    throw new Error(`vat: powerIterations must be an integer >= 1 (got ${r.powerIterations})`);
  }
  return r;
}

/** Row-wise L2 normalisation of a batch of perturbations. */
function l2Normalize(d: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(d, [d.shape[0], -1])), 1));
    return tf.div(d, tf.reshape(tf.maximum(norms, 1e-12), [d.shape[0], 1, 1, 1])) as Tensor4D;
  });
}

/** Mean over the batch of KL(p || softmax(qLogits)), p given as log-probabilities. */
export function meanKl(logP: Tensor2D, qLogits: Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.exp(logP);
    return tf.div(tf.sum(tf.mul(p, tf.sub(logP, tf.logSoftmax(qLogits)))), logP.shape[0]) as tf.Scalar;
  });
}

/**
 * The virtual adversarial perturbation of each input: eps times the unit L2 direction that the power
 * iteration finds (a constant: computed off any enclosing gradient tape).
 */
export function virtualAdversarialPerturbation(
  forward: Forward,
  x: Tensor4D,
  options: VatOptions = {},
): Tensor4D {
  const o = resolve(options);
  return offTape(() =>
    tf.tidy(() => {
      const logP = tf.logSoftmax(forward(x)) as Tensor2D;
      const rng = new Rng(o.seed);
      let d = l2Normalize(tf.randomNormal(x.shape, 0, 1, 'float32', rng.seed()) as Tensor4D);
      for (let i = 0; i < o.powerIterations; i++) {
        const g = tf.grad((r: tf.Tensor) => meanKl(logP, forward(tf.add(x, r) as Tensor4D)))(tf.mul(d, o.xi));
        d = l2Normalize(g as Tensor4D);
      }
      return tf.mul(d, o.eps) as Tensor4D;
    }),
  );
}

/**
 * LDS averaged over the batch: KL(p(.|x) || p(.|x + r_vadv)) with p(.|x) constant. Differentiable in
 * the model's weights (call inside an optimizer's minimize).
 */
export function vatLoss(forward: Forward, x: Tensor4D, options: VatOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const r = virtualAdversarialPerturbation(forward, x, options);
    const logP = offTape(() => tf.logSoftmax(forward(x)) as Tensor2D);
    return meanKl(logP, forward(tf.add(x, r) as Tensor4D));
  });
}

export interface VatTrainOptions extends VatOptions {
  epochs: number;
  /** Labelled images per step (default 32). */
  batchSize?: number;
  /** Unlabelled images per step (default 64). */
  unlabeledBatchSize?: number;
  learningRate?: number;
  /** Weight of the LDS term (default 1). */
  alpha?: number;
  /** Steps per epoch (default: one pass over the unlabelled images). */
  stepsPerEpoch?: number;
  onEpochEnd?: (e: VatEpochSummary) => void | Promise<void>;
}

export interface VatEpochSummary {
  epoch: number;
  crossEntropy: number;
  lds: number;
  testAccuracy: number;
  seconds: number;
}

export interface VatData {
  labeled: ImageDataset;
  unlabeled: ImageDataset;
  test: ImageDataset;
}

function sampleIndices(rng: Rng, count: number, size: number): number[] {
  return Array.from({ length: size }, () => rng.int(count));
}

/**
 * Semi-supervised training of `model` (logits out) with Adam on CE(labelled batch) + alpha * LDS
 * (unlabelled batch); batches are drawn with replacement, seeded. alpha = 0 is plain supervised
 * training on the labelled images (the baseline VAT is compared with).
 */
export async function trainVat(
  model: tf.LayersModel,
  data: VatData,
  options: VatTrainOptions,
): Promise<VatEpochSummary[]> {
  const o = resolve(options);
  const alpha = options.alpha ?? 1;
  const batchSize = options.batchSize ?? 32;
  const unlabeledBatchSize = options.unlabeledBatchSize ?? 64;
  for (const [name, v] of [
    ['epochs', options.epochs],
    ['batchSize', batchSize],
    ['unlabeledBatchSize', unlabeledBatchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`trainVat: ${name} must be a positive integer (got ${v})`);
  }
  if (!(alpha >= 0)) throw new Error(`trainVat: alpha must be >= 0 (got ${alpha})`);
  if (data.labeled.count === 0 || data.unlabeled.count === 0)
    throw new Error('trainVat: needs labelled and unlabelled images');
  const steps = options.stepsPerEpoch ?? Math.ceil(data.unlabeled.count / unlabeledBatchSize);
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const rng = new Rng(o.seed);
  const forward: Forward = (x) => model.apply(x, { training: true }) as Tensor2D;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const history: VatEpochSummary[] = [];
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const started = performance.now();
      let ceSum = 0;
      let ldsSum = 0;
      for (let step = 0; step < steps; step++) {
        const li = sampleIndices(rng, data.labeled.count, batchSize);
        const x = gatherImages(data.labeled, li);
        const y = tf.tensor1d(
          li.map((i) => data.labeled.labels[i]),
          'int32',
        ) as Tensor1D;
        const u = gatherImages(data.unlabeled, sampleIndices(rng, data.unlabeled.count, unlabeledBatchSize));
        const seed = rng.seed();
        let parts: tf.Tensor | null = null;
        const loss = optimizer.minimize(
          () => {
            const ce = meanCrossEntropy(forward(x), y);
            const lds = alpha > 0 ? vatLoss(forward, u, { ...o, seed }) : tf.scalar(0);
            parts = tf.keep(tf.stack([ce, lds]));
            return tf.add(ce, tf.mul(alpha, lds)) as tf.Scalar;
          },
          true,
          vars,
        );
        const [ce, lds] = (parts as tf.Tensor | null)?.dataSync() ?? [NaN, NaN];
        tf.dispose(
          [x, y, u, loss as tf.Scalar, parts as tf.Tensor | null].filter((t): t is tf.Tensor => t !== null),
        );
        if (!Number.isFinite(ce) || !Number.isFinite(lds))
          throw new Error(`trainVat: the loss became non-finite at epoch ${epoch}, step ${step + 1}`);
        ceSum += ce;
        ldsSum += lds;
        if (step % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      const summary: VatEpochSummary = {
        epoch,
        crossEntropy: ceSum / steps,
        lds: ldsSum / steps,
        testAccuracy: evaluateAccuracy(model, data.test),
        seconds: (performance.now() - started) / 1000,
      };
      history.push(summary);
      await options.onEpochEnd?.(summary);
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
