/**
 * The contract shared by the classical classifiers of the transferability experiment (logistic
 * regression, linear SVM, decision tree, kNN, ensemble, MLP substitutes).
 *
 * Every trained classifier IS a `Model` (bounds, inputShape, labels, logits), computed with tfjs ops
 * (`forward(x: Tensor4D)`, see models/forward-model.ts), so the
 * library's attacks, criteria and helpers accept it. On top of that it offers a fast path on plain
 * arrays: `predict(rows)` and `scores(rows)`, where `rows` is `count * numFeatures` floats (a flattened
 * NHWC batch: exactly the `images` array of an `ImageDataset`).
 *
 * Differentiable classifiers compute `forward` with tfjs ops. The others compute class scores (vote
 * fractions or class probabilities) in plain JS and return `log(max(score, SCORE_FLOOR))`, so that
 * `argmax(logits)` is the prediction and `softmax(logits)` gives back the scores; `differentiable` is
 * false for them and a gradient attack must not be used white-box.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Bounds, Model } from '../models/model.js';
import { ForwardModel, type TfForward } from '../models/forward-model.js';

/** Smallest score before the log in a non-differentiable classifier's logits. */
export const SCORE_FLOOR = 1e-7;

/** Anything that labels rows of flattened inputs: the oracle of a black-box attack. */
export interface Predictor {
  readonly numFeatures: number;
  readonly numClasses: number;
  /** Predicted class per row. `rows.length` must be a multiple of `numFeatures`. */
  predict(rows: Float32Array): Int32Array;
}

export interface Classifier extends Model, Predictor, TfForward {
  /** Short family name: 'logistic-regression', 'linear-svm', 'decision-tree', 'knn', 'ensemble', 'mlp'. */
  readonly kind: string;
  /** Class scores per row, row-major `[count, numClasses]`: probabilities or vote fractions. */
  scores(rows: Float32Array): Float32Array;
  /** Frees tensors the classifier holds (no-op for plain-JS classifiers). */
  dispose(): void;
}

/** The description every classifier needs: which inputs it takes and which classes it names. */
export interface ClassifierSpec {
  name: string;
  inputShape: readonly [number, number, number];
  labels: readonly string[];
  bounds?: Bounds;
}

export function numFeaturesOf(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}

/** Throws a clear Error unless `rows` holds whole rows of `numFeatures` floats; returns the row count. */
export function checkRows(rows: Float32Array, numFeatures: number, who: string): number {
  if (!(rows instanceof Float32Array)) throw new Error(`${who}: rows must be a Float32Array`);
  if (numFeatures <= 0 || rows.length % numFeatures !== 0) {
    throw new Error(`${who}: ${rows.length} values are not whole rows of ${numFeatures} features`);
  }
  return rows.length / numFeatures;
}

/** Throws a clear Error unless `x` is a batch of this model's input shape. */
export function checkBatch(x: Tensor4D, inputShape: readonly [number, number, number], who: string): void {
  const [, h, w, c] = x.shape;
  if (x.rank !== 4 || h !== inputShape[0] || w !== inputShape[1] || c !== inputShape[2]) {
    throw new Error(
      `${who}: expected inputs of shape [N,${inputShape.join(',')}], got [${x.shape.join(',')}]`,
    );
  }
}

/** The values of a batch as rows of floats (read back from the backend). */
export function batchRows(x: Tensor4D): Float32Array {
  const data = x.dataSync();
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** Index of the largest value in each row of a row-major `[count, k]` array (ties: lowest index). */
export function argmaxRows(values: Float32Array, k: number): Int32Array {
  const count = values.length / k;
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    let bestValue = values[n * k];
    for (let j = 1; j < k; j++) {
      const v = values[n * k + j];
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[n] = best;
  }
  return out;
}

/** Fraction of rows that `predictor` labels as `labels` says. */
export function rowAccuracy(predictor: Predictor, rows: Float32Array, labels: ArrayLike<number>): number {
  const predicted = predictor.predict(rows);
  if (predicted.length !== labels.length) {
    throw new Error(`accuracy: ${predicted.length} rows but ${labels.length} labels`);
  }
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) correct++;
  return predicted.length === 0 ? 0 : correct / predicted.length;
}

/** Fraction of rows on which two predictors agree (substitute vs oracle, source vs target). */
export function agreement(a: Predictor, b: Predictor, rows: Float32Array): number {
  const pa = a.predict(rows);
  const pb = b.predict(rows);
  let same = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] === pb[i]) same++;
  return pa.length === 0 ? 0 : same / pa.length;
}

/**
 * Base class of the classifiers whose scores are computed in plain JS (tree, kNN, vote ensemble).
 * `forward` reads the batch back (data sync) and returns the logged scores as a constant tensor.
 */
export abstract class ScoreClassifier extends ForwardModel implements Classifier {
  abstract readonly kind: string;
  readonly name: string;
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly numFeatures: number;
  readonly differentiable: boolean = false;

  constructor(spec: ClassifierSpec) {
    super();
    this.name = spec.name;
    this.bounds = spec.bounds ?? [0, 1];
    this.inputShape = spec.inputShape;
    this.labels = spec.labels;
    this.numClasses = spec.labels.length;
    this.numFeatures = numFeaturesOf(spec.inputShape);
  }

  abstract scores(rows: Float32Array): Float32Array;

  predict(rows: Float32Array): Int32Array {
    return argmaxRows(this.scores(rows), this.numClasses);
  }

  forward(x: Tensor4D): Tensor2D {
    checkBatch(x, this.inputShape, this.name);
    const scores = this.scores(batchRows(x));
    const logged = new Float32Array(scores.length);
    for (let i = 0; i < scores.length; i++) logged[i] = Math.log(Math.max(scores[i], SCORE_FLOOR));
    return tf.tensor2d(logged, [x.shape[0], this.numClasses]);
  }
}

/**
 * Base class of the classifiers whose logits are tfjs ops on the flattened input (linear models, MLP):
 * `predict` and `scores` run those ops in batches.
 */
export abstract class TensorClassifier extends ForwardModel implements Classifier {
  abstract readonly kind: string;
  readonly name: string;
  readonly bounds: Bounds;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly labels: readonly string[];
  readonly numFeatures: number;
  readonly differentiable: boolean = true;

  constructor(spec: ClassifierSpec) {
    super();
    this.name = spec.name;
    this.bounds = spec.bounds ?? [0, 1];
    this.inputShape = spec.inputShape;
    this.labels = spec.labels;
    this.numClasses = spec.labels.length;
    this.numFeatures = numFeaturesOf(spec.inputShape);
  }

  /** Logits of flattened inputs `[N, numFeatures]` (differentiable). */
  abstract logitsFlat(x: Tensor2D): Tensor2D;

  abstract override dispose(): void;

  forward(x: Tensor4D): Tensor2D {
    checkBatch(x, this.inputShape, this.name);
    return tf.tidy(() => this.logitsFlat(tf.reshape(x, [x.shape[0], this.numFeatures])));
  }

  /** Runs `f` on the logits of `rows`, `batchSize` rows at a time, and concatenates the results. */
  private mapBatches(rows: Float32Array, f: (logits: Tensor2D) => Tensor2D, batchSize = 1024): Float32Array {
    const count = checkRows(rows, this.numFeatures, this.name);
    const out = new Float32Array(count * this.numClasses);
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const part = tf.tidy(() => {
        const x = tf.tensor2d(rows.subarray(start * this.numFeatures, (start + size) * this.numFeatures), [
          size,
          this.numFeatures,
        ]);
        return f(this.logitsFlat(x));
      });
      out.set(part.dataSync() as Float32Array, start * this.numClasses);
      part.dispose();
    }
    return out;
  }

  /** Raw logits per row (decision scores for the SVM). */
  rawLogits(rows: Float32Array): Float32Array {
    return this.mapBatches(rows, (l) => l);
  }

  /** Softmax probabilities per row. */
  scores(rows: Float32Array): Float32Array {
    return this.mapBatches(rows, (l) => tf.softmax(l));
  }

  predict(rows: Float32Array): Int32Array {
    return argmaxRows(this.rawLogits(rows), this.numClasses);
  }
}
