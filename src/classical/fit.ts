/**
 * A small seeded mini-batch Adam loop shared by the differentiable classical models (logistic
 * regression, linear SVM, MLP). Batches are drawn from a seeded permutation each epoch, so the same seed
 * gives the same model.
 */
import { Rng } from '../engine/random.js';
import { tf, type Tensor2D } from '../engine/tf.js';

export interface FitOptions {
  /** Passes over the data (default 10). */
  epochs?: number;
  /** Examples per step; >= count means full batch (default 128). */
  batchSize?: number;
  /** Adam step size (default 0.01). */
  learningRate?: number;
  /** Seeds the batch order (default 0). */
  seed?: number;
  /** Called after each epoch with the mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Loss of one batch: flattened inputs `[B, d]` and one-hot labels `[B, K]`; must return a scalar. */
export type BatchLoss = (x: Tensor2D, onehot: Tensor2D) => tf.Scalar;

export function checkFitOptions(options: FitOptions, who: string): Required<Omit<FitOptions, 'onEpoch'>> {
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 128;
  const learningRate = options.learningRate ?? 0.01;
  const seed = options.seed ?? 0;
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new Error(`${who}: epochs must be a non-negative integer (got ${epochs})`);
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new Error(`${who}: batchSize must be a positive integer (got ${batchSize})`);
  if (!(learningRate > 0)) throw new Error(`${who}: learningRate must be positive (got ${learningRate})`);
  if (!Number.isFinite(seed)) throw new Error(`${who}: seed must be a finite number (got ${seed})`);
  return { epochs, batchSize, learningRate, seed };
}

/**
 * Minimises `loss` over `variables` with Adam. `rows` holds `count * numFeatures` floats, `labels`
 * class indices below `numClasses`. Returns the mean loss of the last epoch.
 */
export function fitAdam(
  variables: tf.Variable[],
  rows: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  loss: BatchLoss,
  options: FitOptions,
  who: string,
): number {
  const { epochs, batchSize, learningRate, seed } = checkFitOptions(options, who);
  const count = labels.length;
  const d = rows.length / count;
  const rng = new Rng(seed);
  const optimizer = tf.train.adam(learningRate);
  const size = Math.min(batchSize, count);
  const xBuffer = new Float32Array(size * d);
  const yBuffer = new Float32Array(size * numClasses);
  let lastLoss = NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(count);
      let total = 0;
      for (let start = 0; start < count; start += size) {
        const b = Math.min(size, count - start);
        yBuffer.fill(0);
        for (let i = 0; i < b; i++) {
          const j = order[start + i];
          xBuffer.set(rows.subarray(j * d, (j + 1) * d), i * d);
          yBuffer[i * numClasses + labels[j]] = 1;
        }
        const value = tf.tidy(() => {
          const x = tf.tensor2d(xBuffer.subarray(0, b * d), [b, d]);
          const y = tf.tensor2d(yBuffer.subarray(0, b * numClasses), [b, numClasses]);
          return optimizer.minimize(() => loss(x, y), true, variables) as tf.Scalar;
        });
        total += value.dataSync()[0] * b;
        value.dispose();
      }
      lastLoss = total / count;
      if (!Number.isFinite(lastLoss))
        throw new Error(
          `${who}: training diverged at epoch ${epoch + 1} (loss ${lastLoss}); lower learningRate`,
        );
      options.onEpoch?.(epoch + 1, lastLoss);
    }
  } finally {
    optimizer.dispose();
  }
  return lastLoss;
}

/** Mean cross-entropy of logits against one-hot labels, written so that its gradient is right on wasm. */
export function crossEntropy(logits: Tensor2D, onehot: Tensor2D): tf.Scalar {
  return tf.div(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)))), logits.shape[0]) as tf.Scalar;
}

/** (l2 / 2) * sum of squares of the given weights (0 when l2 is 0). */
export function l2Penalty(weights: tf.Tensor[], l2: number): tf.Scalar {
  if (l2 === 0 || weights.length === 0) return tf.scalar(0);
  return tf.mul(l2 / 2, tf.addN(weights.map((w) => tf.sum(tf.square(w))))) as tf.Scalar;
}

/** Seeded Glorot-uniform initial values for a `[fanIn, fanOut]` weight matrix. */
export function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() * 2 - 1) * limit;
  return out;
}

/** A trainable variable holding a copy of `values` (no stray initial tensor left behind). */
export function newVariable(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape, 'float32');
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}
