/**
 * Black-box substitute training (Papernot, McDaniel, Goodfellow, Jha, Celik & Swami 2017, "Practical
 * Black-Box Attacks against Machine Learning", Algorithm 1). The attacker only sees the oracle's labels:
 *
 *   S_0 = a small initial set; for each substitute round r:
 *     label S_r with the oracle; train the substitute F on it;
 *     S_{r+1} = S_r  ∪  { clip(x + lambda_r * sign(dF_{O(x)}(x) / dx)) : x in S_r }   (Jacobian augmentation)
 *
 * with lambda_r = lambda * (-1)^floor(r / tau) when `tau` is set (the paper's periodic step size), else
 * lambda. The substitute is an MLP (differentiable `Model`), so gradient attacks crafted on it can be
 * transferred to the non-differentiable oracle.
 */
import { tf, type Tensor2D } from '../engine/tf.js';
import type { Bounds } from '../models/model.js';
import { agreement, checkRows, type Predictor } from './classifier.js';
import { trainMlp, type MlpClassifier, type MlpOptions } from './mlp.js';

/** The attacker's unlabelled starting points. */
export interface SubstituteSeedSet {
  images: Float32Array;
  count: number;
  shape: readonly [number, number, number];
  classNames: readonly string[];
}

export interface SubstituteOptions extends MlpOptions {
  /** Substitute training rounds (the paper's rho + 1; default 5): the set doubles between rounds. */
  rounds?: number;
  /** Jacobian augmentation step (default 0.1, in input units). */
  lambda?: number;
  /** Flip the step's sign every tau rounds (default: never). */
  tau?: number;
  /** Input bounds the augmented points are clipped to (default [0,1]). */
  bounds?: Bounds;
  /** Held-out rows on which to measure agreement with the oracle after each round. */
  holdout?: Float32Array;
  /** Called after each round. */
  onRound?: (round: SubstituteRound) => void;
}

export interface SubstituteRound {
  round: number;
  /** Points the substitute was trained on in this round. */
  size: number;
  /** Agreement with the oracle on `holdout` (when given). */
  agreement?: number;
}

export interface SubstituteResult {
  model: MlpClassifier;
  history: SubstituteRound[];
  /** Oracle queries made (labelled points). */
  queries: number;
}

/** Sign of the gradient of logit[label] w.r.t. the input, per row. */
export function jacobianSigns(
  model: MlpClassifier,
  rows: Float32Array,
  labels: Int32Array,
  batchSize = 256,
): Float32Array {
  const count = checkRows(rows, model.numFeatures, model.name);
  const d = model.numFeatures;
  const k = model.numClasses;
  const out = new Float32Array(rows.length);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const signs = tf.tidy(() => {
      const x = tf.tensor2d(rows.subarray(start * d, (start + size) * d), [size, d]);
      const onehot = tf.cast(
        tf.oneHot(tf.tensor1d(labels.subarray(start, start + size), 'int32'), k),
        'float32',
      ) as Tensor2D;
      const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(model.logitsFlat(input as Tensor2D), onehot)))(
        x,
      );
      return tf.sign(grad);
    });
    out.set(signs.dataSync() as Float32Array, start * d);
    signs.dispose();
  }
  return out;
}

export function trainSubstitute(
  oracle: Predictor,
  seedSet: SubstituteSeedSet,
  options: SubstituteOptions = {},
): SubstituteResult {
  const d = seedSet.shape[0] * seedSet.shape[1] * seedSet.shape[2];
  if (d !== oracle.numFeatures)
    throw new Error(`substitute: seed set has ${d} features per row, the oracle takes ${oracle.numFeatures}`);
  if (seedSet.classNames.length !== oracle.numClasses) {
    throw new Error(
      `substitute: seed set names ${seedSet.classNames.length} classes, the oracle has ${oracle.numClasses}`,
    );
  }
  if (checkRows(seedSet.images, d, 'substitute seed set') !== seedSet.count || seedSet.count === 0) {
    throw new Error(
      `substitute: seed set count ${seedSet.count} does not match its ${seedSet.images.length / d} rows`,
    );
  }
  const rounds = options.rounds ?? 5;
  const lambda = options.lambda ?? 0.1;
  const tau = options.tau;
  const [lo, hi] = options.bounds ?? [0, 1];
  if (!(Number.isInteger(rounds) && rounds >= 1))
    throw new Error(`substitute: rounds must be a positive integer (got ${rounds})`);
  if (!(lambda > 0)) throw new Error(`substitute: lambda must be positive (got ${lambda})`);
  if (tau !== undefined && !(Number.isInteger(tau) && tau >= 1))
    throw new Error(`substitute: tau must be a positive integer (got ${tau})`);
  if (options.holdout !== undefined) checkRows(options.holdout, d, 'substitute holdout');

  let rows = Float32Array.from(seedSet.images);
  let labels = oracle.predict(rows);
  let queries = labels.length;
  const history: SubstituteRound[] = [];
  let model: MlpClassifier | null = null;
  const seed = options.seed ?? 0;
  for (let round = 0; round < rounds; round++) {
    model?.dispose();
    model = trainMlp(
      {
        name: `substitute-set-${round}`,
        images: rows,
        labels,
        count: labels.length,
        shape: seedSet.shape,
        classNames: seedSet.classNames,
      },
      { ...options, seed: seed + round, name: options.name ?? 'substitute' },
    );
    const entry: SubstituteRound = { round, size: labels.length };
    if (options.holdout !== undefined) entry.agreement = agreement(model, oracle, options.holdout);
    history.push(entry);
    options.onRound?.(entry);
    if (round === rounds - 1) break;

    const step = tau === undefined ? lambda : lambda * (Math.floor(round / tau) % 2 === 0 ? 1 : -1);
    const signs = jacobianSigns(model, rows, labels);
    const fresh = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i++) fresh[i] = Math.min(hi, Math.max(lo, rows[i] + step * signs[i]));
    const freshLabels = oracle.predict(fresh);
    queries += freshLabels.length;
    const grown = new Float32Array(rows.length * 2);
    grown.set(rows);
    grown.set(fresh, rows.length);
    const grownLabels = new Int32Array(labels.length * 2);
    grownLabels.set(labels);
    grownLabels.set(freshLabels, labels.length);
    rows = grown;
    labels = grownLabels;
  }
  return { model: model as MlpClassifier, history, queries };
}
