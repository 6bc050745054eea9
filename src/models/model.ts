/**
 * The Model contract every attack, criterion and experiment uses (foolbox 3 semantics): a batch
 * `[N,H,W,C]` with values inside `bounds` goes in, logits `[N,K]` come out. Preprocessing lives inside
 * the model, so callers only ever see pixels in bounds.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';

export type Bounds = readonly [number, number];

export interface Model {
  readonly name: string;
  readonly bounds: Bounds;
  /** [height, width, channels] of one input. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** Class names by output index. */
  readonly labels: readonly string[];
  /** True when `logits` can be differentiated with respect to its input (gradient attacks need it). */
  readonly differentiable: boolean;
  /** Logits for a batch in bounds. Call inside tf.grad / tf.valueAndGrad for input gradients. */
  logits(x: Tensor4D): Tensor2D;
}

/** Logits for a large batch, `batchSize` at a time (no gradient). */
export function logitsBatched(model: Model, x: Tensor4D, batchSize = 128): Tensor2D {
  const n = x.shape[0];
  if (n <= batchSize) return tf.tidy(() => model.logits(x));
  const parts: Tensor2D[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    parts.push(tf.tidy(() => model.logits(tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]))));
  }
  const out = tf.concat(parts) as Tensor2D;
  tf.dispose(parts);
  return out;
}

/** Predicted class per input. */
export function predictLabels(model: Model, x: Tensor4D, batchSize = 128): number[] {
  const logits = logitsBatched(model, x, batchSize);
  const labels = tf.tidy(() => tf.argMax(logits, 1));
  const out = Array.from(labels.dataSync());
  tf.dispose([logits, labels]);
  return out;
}

export interface Prediction {
  index: number;
  name: string;
  p: number;
}

/** The `k` most probable classes per input, with softmax probabilities. */
export function topPredictions(model: Model, x: Tensor4D, k = 3): Prediction[][] {
  const logits = logitsBatched(model, x);
  const top = tf.tidy(() => tf.topk(tf.softmax(logits), Math.min(k, model.numClasses)));
  const values = top.values.arraySync() as number[][];
  const indices = top.indices.arraySync() as number[][];
  tf.dispose([logits, top.values, top.indices]);
  return indices.map((row, n) =>
    row.map((index, j) => ({ index, name: model.labels[index] ?? String(index), p: values[n][j] })),
  );
}

/** Fraction of inputs whose prediction equals the label. */
export function accuracy(model: Model, x: Tensor4D, labels: ArrayLike<number>, batchSize = 128): number {
  const predicted = predictLabels(model, x, batchSize);
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p === labels[i]) correct++;
  });
  return predicted.length === 0 ? 0 : correct / predicted.length;
}
