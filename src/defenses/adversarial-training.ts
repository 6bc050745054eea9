/**
 * Adversarial training recipes as `makeBatch` hooks for `trainClassifier`:
 *
 * - `pgd`: Madry et al. (2018). Every training batch is replaced by Linf PGD examples: a uniform random
 *   start in the eps ball, then `steps` signed-gradient steps of `stepSize`, each projected back onto the
 *   eps ball and into bounds.
 * - `fgsm`: "fast" adversarial training (Wong, Rice & Kolter 2020): FGSM from a random start, one step of
 *   1.25 eps by default. About as cheap as two natural training steps.
 *
 * `cleanFraction` keeps that share of each batch clean (Goodfellow et al. 2015 mixed clean and adversarial
 * loss 50/50); the default 0 is Madry's recipe (all adversarial).
 *
 * The examples are the attacks' own Linf PGD (`projectedGradientAscent` of attacks/gradient-descent.ts).
 * Input gradients go through the network in inference mode with the engine's layer patches (only the
 * input gradient is computed), and the loss is the per-example cross-entropy summed over the batch, so
 * each example's gradient is its own (exact on wasm).
 */
import { tf, type Tensor1D, type Tensor4D } from '../engine/tf.js';
import { setConvWeightGradients, useFastGradientLayers } from '../engine/unfused-layers.js';
import { projectedGradientAscent } from '../attacks/gradient-descent.js';
import type { Bounds, Model } from '../models/model.js';
import { crossEntropyLoss, lossOfLogits } from '../models/loss.js';
import { TfjsModel } from '../models/tfjs-model.js';
import type { MakeBatch } from '../train/train-classifier.js';

export const ADVERSARIAL_METHODS = ['pgd', 'fgsm'] as const;
export type AdversarialMethod = (typeof ADVERSARIAL_METHODS)[number];

export interface LinfExamplesOptions {
  /** Radius of the Linf ball, in units of the bounds. */
  eps: number;
  /** Signed-gradient steps (>= 1). */
  steps: number;
  /** Absolute size of each step. */
  stepSize: number;
  /** Start from a uniform random point of the eps ball (default true). */
  randomStart?: boolean;
  /** Seed of the random start. */
  seed?: number;
}

export interface AdversarialTrainingOptions {
  method: AdversarialMethod;
  /** Radius of the Linf ball (default 0.1). */
  eps?: number;
  /** PGD steps (default 8; FGSM always takes 1). */
  steps?: number;
  /** Step size (default: PGD 0.02 at eps 0.1, i.e. eps / 5; FGSM 1.25 eps). */
  stepSize?: number;
  /** Share of each batch left clean, in [0, 1) (default 0: all adversarial). */
  cleanFraction?: number;
  /** Seed of the random starts; batch b of a run uses a seed derived from it, so runs repeat. */
  seed?: number;
  /** Input bounds of the network (default [0, 1]). */
  bounds?: Bounds;
}

export type ResolvedAdversarialTraining = Required<AdversarialTrainingOptions>;

function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`adversarial training: ${name} must be a positive number (got ${value})`);
}

/** Fills in the defaults of a recipe and checks every option; throws an Error naming the bad one. */
export function resolveAdversarialTraining(options: AdversarialTrainingOptions): ResolvedAdversarialTraining {
  if (!(ADVERSARIAL_METHODS as readonly string[]).includes(options.method)) {
    throw new Error(
      `adversarial training: unknown method '${options.method}' (available: ${ADVERSARIAL_METHODS.join(', ')})`,
    );
  }
  const eps = options.eps ?? 0.1;
  checkPositive('eps', eps);
  const steps = options.method === 'fgsm' ? 1 : (options.steps ?? 8);
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`adversarial training: steps must be an integer >= 1 (got ${steps})`);
  if (options.method === 'fgsm' && options.steps !== undefined && options.steps !== 1) {
    throw new Error(
      `adversarial training: fgsm takes exactly one step (got steps ${options.steps}); use pgd for more`,
    );
  }
  const stepSize = options.stepSize ?? (options.method === 'fgsm' ? 1.25 * eps : eps / 5);
  checkPositive('stepSize', stepSize);
  const cleanFraction = options.cleanFraction ?? 0;
  if (!(cleanFraction >= 0 && cleanFraction < 1)) {
    throw new Error(`adversarial training: cleanFraction must be in [0, 1) (got ${cleanFraction})`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`adversarial training: seed must be an integer (got ${seed})`);
  const bounds = options.bounds ?? [0, 1];
  if (!(bounds[0] < bounds[1]))
    throw new Error(`adversarial training: bounds must be LO < HI (got ${bounds})`);
  return { method: options.method, eps, steps, stepSize, cleanFraction, seed, bounds };
}

/**
 * Linf PGD examples of `x` against `model` (labels as numbers): the attacks' projected gradient ascent
 * (attacks/gradient-descent.ts, LinfPGD's loop) on the summed cross-entropy: the random start, then
 * `steps` signed-gradient steps, each projected onto the eps ball and into bounds. The caller owns the
 * result. With steps = 1 and stepSize = 1.25 eps this is the FGSM-RS of fast adversarial training.
 */
export async function linfAdversarialExamples(
  model: Model,
  x: Tensor4D,
  labels: readonly number[],
  options: LinfExamplesOptions,
): Promise<Tensor4D> {
  const { eps, steps, stepSize } = options;
  checkPositive('eps', eps);
  checkPositive('stepSize', stepSize);
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`adversarial examples: steps must be an integer >= 1 (got ${steps})`);
  if (labels.length !== x.shape[0])
    throw new Error(`adversarial examples: ${labels.length} labels for ${x.shape[0]} inputs`);
  return projectedGradientAscent(model, x, {
    norm: 'linf',
    eps,
    stepsize: stepSize,
    steps,
    randomStart: options.randomStart !== false,
    seed: options.seed ?? 0,
    loss: crossEntropyLoss(labels, false),
  });
}

const wrapped = new WeakMap<tf.LayersModel, TfjsModel>();

/**
 * The training network seen as an advx Model (logits out), cached per network. Its layers get the engine's
 * fast gradients (engine/unfused-layers.ts: for the attack and for the training step).
 */
export function asAttackModel(net: tf.LayersModel, bounds: Bounds = [0, 1]): TfjsModel {
  let model = wrapped.get(net);
  if (model === undefined || model.bounds[0] !== bounds[0] || model.bounds[1] !== bounds[1]) {
    model = new TfjsModel(net, { name: net.name, bounds });
    useFastGradientLayers(net); // convolutions: on top of the unfused layers TfjsModel installed
    wrapped.set(net, model);
  }
  return model;
}

/** Runs `f` with the network's convolution weight gradients off (an attack needs input gradients only). */
async function inputGradientsOnly<T>(net: tf.LayersModel, f: () => Promise<T>): Promise<T> {
  const before = setConvWeightGradients(net, false);
  try {
    return await f();
  } finally {
    setConvWeightGradients(net, before);
  }
}

/**
 * The `makeBatch` hook of an adversarial training recipe. Each call (one per training batch) draws a
 * fresh random start from a generator seeded with `seed` and the call's index, so a run repeats exactly;
 * `startBatch` is the number of batches already trained (for resuming: the same seeds come out again).
 */
export function adversarialTraining(options: AdversarialTrainingOptions, startBatch = 0): MakeBatch {
  const o = resolveAdversarialTraining(options);
  let batch = startBatch;
  return async (x: Tensor4D, labels: Tensor1D, net: tf.LayersModel): Promise<Tensor4D> => {
    const model = asAttackModel(net, o.bounds);
    const seed = (o.seed * 1_000_003 + batch++) >>> 0;
    const ys = Array.from(labels.dataSync());
    const n = x.shape[0];
    const clean = Math.min(n - 1, Math.round(o.cleanFraction * n));
    const opts = { eps: o.eps, steps: o.steps, stepSize: o.stepSize, randomStart: true, seed };
    if (clean === 0) return inputGradientsOnly(net, () => linfAdversarialExamples(model, x, ys, opts));
    // The first `clean` examples of the (already shuffled) batch stay clean.
    const tail = tf.slice(x, [clean, 0, 0, 0], [n - clean, -1, -1, -1]);
    let adv: Tensor4D;
    try {
      adv = await inputGradientsOnly(net, () => linfAdversarialExamples(model, tail, ys.slice(clean), opts));
    } finally {
      tail.dispose();
    }
    const out = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0, 0], [clean, -1, -1, -1]), adv]) as Tensor4D);
    adv.dispose();
    return out;
  };
}

/** Mean cross-entropy of `model` on `x` (no gradient): the quantity adversarial training lowers. */
export async function meanLoss(model: Model, x: Tensor4D, labels: readonly number[]): Promise<number> {
  const logits = await model.logits(x);
  const values = lossOfLogits(logits, crossEntropyLoss(labels, false));
  const mean = tf.tidy(() => tf.mean(values).dataSync()[0]);
  tf.dispose([logits, values]);
  return mean;
}
