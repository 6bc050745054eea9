/**
 * The Model seam every attack, criterion, experiment and defense uses (foolbox 3 semantics, engine-neutral).
 * A batch `[N,H,W,C]` with values inside `bounds` goes in; what comes out is
 * - `logits(x)`: logits `[N,K]`, and
 * - `lossGradient(x, loss)`: the input gradient of a loss of the logits (summed over the batch, so each
 *   input's gradient is its own), with the logits and per-input loss of the same forward pass.
 * Both are asynchronous, because some engines are (ONNX Runtime, a model behind HTTP). Preprocessing lives
 * inside the model, so callers only ever see pixels in bounds. Tensors returned are the caller's to dispose.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Loss } from './loss.js';
import { finiteLogits } from './finite-logits.js';

export type Bounds = readonly [number, number];

/** What runs a model: TensorFlow.js, ONNX Runtime, or something composed or remote. */
export type EngineName = 'tfjs' | 'onnx' | (string & {});

export interface LossGradient {
  /** d(sum of the loss over the batch)/dx, shaped like x. */
  gradient: Tensor4D;
  /** Logits of the same forward pass. */
  logits: Tensor2D;
  /** The loss per input. */
  loss: Tensor1D;
}

export interface Model {
  readonly name: string;
  readonly bounds: Bounds;
  /** [height, width, channels] of one input. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** Class names by output index. */
  readonly labels: readonly string[];
  /** True when `lossGradient` is available (gradient attacks need it). */
  readonly differentiable: boolean;
  readonly engine: EngineName;
  /**
   * What the model really answers, for models behind an API (model-outputs.ts): its logits then stand for
   * scores, top-k lists or a label only. Absent: true logits.
   */
  readonly outputs?: 'logits' | 'scores' | 'topk' | 'label';
  /** Logits `[N,K]` for a batch in bounds. */
  logits(x: Tensor4D): Promise<Tensor2D>;
  /** Input gradient of `loss` (to be ascended), with the logits and loss of the same pass. */
  lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient>;
  /** Frees the model's weights and sessions. */
  dispose(): void;
}

/** Disposes the three tensors of a `lossGradient` result. */
export function disposeLossGradient(result: LossGradient): void {
  tf.dispose([result.gradient, result.logits, result.loss]);
}

/** Logits for a large batch, `batchSize` at a time; NaN or infinite logits are an error (finite-logits.ts). */
export async function logitsBatched(model: Model, x: Tensor4D, batchSize = 128): Promise<Tensor2D> {
  const n = x.shape[0];
  if (n <= batchSize) return finiteLogits(model, x);
  const parts: Tensor2D[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const slice = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
      try {
        parts.push(await finiteLogits(model, slice));
      } finally {
        slice.dispose();
      }
    }
    return tf.concat(parts) as Tensor2D;
  } finally {
    tf.dispose(parts);
  }
}

/** Predicted class per input. */
export async function predictLabels(model: Model, x: Tensor4D, batchSize = 128): Promise<number[]> {
  const logits = await logitsBatched(model, x, batchSize);
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

/** The `k` most probable classes of each row of `logits`, with softmax probabilities. */
export function topOfLogits(logits: Tensor2D, labels: readonly string[], k = 3): Prediction[][] {
  const top = tf.tidy(() => tf.topk(tf.softmax(logits), Math.min(k, logits.shape[1])));
  const values = top.values.arraySync() as number[][];
  const indices = top.indices.arraySync() as number[][];
  tf.dispose([top.values, top.indices]);
  return indices.map((row, n) =>
    row.map((index, j) => ({ index, name: labels[index] ?? String(index), p: values[n][j] })),
  );
}

/** The `k` most probable classes per input, with softmax probabilities. */
export async function topPredictions(model: Model, x: Tensor4D, k = 3): Promise<Prediction[][]> {
  const logits = await logitsBatched(model, x);
  try {
    return topOfLogits(logits, model.labels, k);
  } finally {
    logits.dispose();
  }
}

/** Fraction of inputs whose prediction equals the label. */
export async function accuracy(
  model: Model,
  x: Tensor4D,
  labels: ArrayLike<number>,
  batchSize = 128,
): Promise<number> {
  const predicted = await predictLabels(model, x, batchSize);
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p === labels[i]) correct++;
  });
  return predicted.length === 0 ? 0 : correct / predicted.length;
}
