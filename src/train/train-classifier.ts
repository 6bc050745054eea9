/**
 * A reusable training loop for classifiers that output logits: Adam on the mean softmax cross-entropy,
 * seeded shuffling, batches cut from the dataset's Float32Array (the whole set never becomes one tensor),
 * and no tensor left behind per step. `makeBatch` lets adversarial training swap in the inputs to train on.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { ImageDataset } from '../data/datasets.js';
import { Rng } from '../engine/random.js';

export interface TrainProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** 1-based index of the batch just trained. */
  batch: number;
  batches: number;
  /** Mean cross-entropy of that batch. */
  loss: number;
  /** Accuracy on that batch (on the inputs trained on, i.e. after `makeBatch`). */
  trainAccuracy?: number;
}

export interface EpochSummary {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  trainAccuracy: number;
  /** Clean accuracy on the whole test set after the epoch. */
  testAccuracy: number;
  /** Training time of the epoch (evaluation excluded). */
  seconds: number;
}

/** Returns the inputs to train on for a batch (e.g. adversarial examples of `x`); may return `x` itself. */
export type MakeBatch = (
  x: Tensor4D,
  labels: Tensor1D,
  model: tf.LayersModel,
) => Tensor4D | Promise<Tensor4D>;

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the shuffling (the initial weights are the architecture's business). */
  seed: number;
  onProgress?: (p: TrainProgress) => void;
  /** After each epoch; `state` has what a checkpoint needs (the optimizer's moments). */
  onEpochEnd?: (e: EpochSummary, state: TrainState) => void | Promise<void>;
  makeBatch?: MakeBatch;
  /**
   * Epochs already trained (resuming from a checkpoint): training goes on at epoch startEpoch + 1 with
   * the shuffles a full run would use there. Default 0.
   */
  startEpoch?: number;
  /** Summaries of the epochs already trained (resuming); they open the returned history. */
  history?: EpochSummary[];
  /** The optimizer to use (e.g. Adam restored from a checkpoint); the caller disposes it. Default: a new Adam(learningRate). */
  optimizer?: tf.Optimizer;
  /** Batch size for the test-set evaluation after each epoch (default 500). */
  evaluationBatchSize?: number;
}

/** What the loop hands to `onEpochEnd`, for checkpoints. */
export interface TrainState {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  history: EpochSummary[];
}

export interface TrainResult {
  history: EpochSummary[];
  /** Test accuracy after the last epoch. */
  testAccuracy: number;
  /** Wall-clock seconds, evaluation included. */
  seconds: number;
}

export interface TrainData {
  train: ImageDataset;
  test: ImageDataset;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`trainClassifier: ${name} must be a positive integer (got ${value})`);
}

function checkDataset(role: string, data: ImageDataset, model: tf.LayersModel, numClasses: number): void {
  const expected = model.inputs[0].shape.slice(1);
  if (expected.length !== 3 || expected.some((d, i) => d !== null && d !== data.shape[i])) {
    throw new Error(
      `trainClassifier: the ${role} images are ${data.shape.join('x')} but the model takes ${expected.map((d) => d ?? '?').join('x')}`,
    );
  }
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  if (data.images.length !== data.count * size || data.labels.length !== data.count) {
    throw new Error(
      `trainClassifier: the ${role} set has ${data.count} items but ${data.images.length / size} images and ${data.labels.length} labels`,
    );
  }
  if (data.count === 0) throw new Error(`trainClassifier: the ${role} set is empty`);
  for (let i = 0; i < data.labels.length; i++) {
    if (data.labels[i] >= numClasses)
      throw new Error(
        `trainClassifier: ${role} label ${data.labels[i]} at ${i} is not below the model's ${numClasses} classes`,
      );
  }
}

function numClassesOf(model: tf.LayersModel): number {
  const k = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (typeof k !== 'number')
    throw new Error('trainClassifier: the model output has no fixed number of classes');
  return k;
}

/** Images `indices` of `data` as a fresh [n,H,W,C] tensor (a new buffer: backends may keep a reference). */
export function gatherImages(data: ImageDataset, indices: ArrayLike<number>): Tensor4D {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const buffer = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const start = indices[i] * size;
    buffer.set(data.images.subarray(start, start + size), i * size);
  }
  return tf.tensor4d(buffer, [indices.length, ...data.shape]);
}

function gatherLabels(data: ImageDataset, indices: ArrayLike<number>): Tensor1D {
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) labels[i] = data.labels[indices[i]];
  return tf.tensor1d(labels, 'int32');
}

/** Mean softmax cross-entropy of logits against integer labels, as -sum(onehot * logSoftmax) / N (exact on wasm). */
export function meanCrossEntropy(logits: Tensor2D, labels: Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, logits.shape[1]);
    return tf.div(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)))), logits.shape[0]) as tf.Scalar;
  });
}

/** Gradients of the mean cross-entropy with respect to the model's trainable weights, by weight name. */
export function weightGradients(
  model: tf.LayersModel,
  x: Tensor4D,
  labels: Tensor1D,
): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => meanCrossEntropy(model.apply(x, { training: true }) as Tensor2D, labels),
    vars,
  );
  const byName: Record<string, tf.Tensor> = {};
  model.trainableWeights.forEach((w, i) => {
    byName[w.originalName] = grads[vars[i].name];
  });
  return { loss: value, grads: byName };
}

/** One optimizer step on a batch. Returns the batch loss and the number of correct predictions. */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: Tensor4D,
  labels: Tensor1D,
): { loss: number; correct: number } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let correct: tf.Scalar | null = null;
  const loss = optimizer.minimize(
    () => {
      const logits = model.apply(x, { training: true }) as Tensor2D;
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
      return meanCrossEntropy(logits, labels);
    },
    true,
    vars,
  ) as tf.Scalar;
  const result = { loss: loss.dataSync()[0], correct: (correct as tf.Scalar | null)?.dataSync()[0] ?? 0 };
  tf.dispose([loss, correct as tf.Scalar | null].filter((t): t is tf.Scalar => t !== null));
  return result;
}

/** Fraction of `data` that `model` classifies correctly (argmax of its output), `batchSize` at a time. */
export function evaluateAccuracy(
  model: tf.LayersModel,
  data: ImageDataset,
  batchSize = 500,
  limit = data.count,
): number {
  const count = Math.min(limit, data.count);
  if (count === 0) return 0;
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const predicted = tf.tidy(() => {
      const x = tf.tensor4d(data.images.slice(start * size, (start + n) * size), [n, ...data.shape]);
      return tf.argMax(model.predict(x) as Tensor2D, 1);
    });
    const labels = predicted.dataSync();
    predicted.dispose();
    for (let i = 0; i < n; i++) if (labels[i] === data.labels[start + i]) correct++;
  }
  return correct / count;
}

/**
 * Trains `model` (logits output) with Adam on the mean cross-entropy, shuffling the training set with
 * `options.seed` each epoch, and measures test accuracy after every epoch.
 */
export async function trainClassifier(
  model: tf.LayersModel,
  data: TrainData,
  options: TrainOptions,
): Promise<TrainResult> {
  requirePositiveInteger('epochs', options.epochs);
  requirePositiveInteger('batchSize', options.batchSize);
  if (!Number.isInteger(options.seed))
    throw new Error(`trainClassifier: seed must be an integer (got ${options.seed})`);
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
    throw new Error(`trainClassifier: learningRate must be a positive number (got ${options.learningRate})`);
  }
  const startEpoch = options.startEpoch ?? 0;
  if (!Number.isInteger(startEpoch) || startEpoch < 0 || startEpoch > options.epochs) {
    throw new Error(`trainClassifier: startEpoch must be an integer in [0, epochs] (got ${startEpoch})`);
  }
  const numClasses = numClassesOf(model);
  checkDataset('training', data.train, model, numClasses);
  checkDataset('test', data.test, model, numClasses);

  const started = performance.now();
  const rng = new Rng(options.seed);
  const optimizer = options.optimizer ?? tf.train.adam(options.learningRate);
  const batches = Math.ceil(data.train.count / options.batchSize);
  const history: EpochSummary[] = [...(options.history ?? [])];
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const epochStart = performance.now();
      const order = rng.permutation(data.train.count);
      if (epoch <= startEpoch) continue; // resuming: replay the shuffles of the epochs already trained
      let lossSum = 0;
      let correctSum = 0;
      for (let b = 0; b < batches; b++) {
        const indices = order.subarray(
          b * options.batchSize,
          Math.min((b + 1) * options.batchSize, data.train.count),
        );
        const x = gatherImages(data.train, indices);
        const labels = gatherLabels(data.train, indices);
        let inputs = x;
        try {
          if (options.makeBatch !== undefined) inputs = await options.makeBatch(x, labels, model);
          const { loss, correct } = trainStep(model, optimizer, inputs, labels);
          if (!Number.isFinite(loss))
            throw new Error(
              `trainClassifier: the loss became ${loss} at epoch ${epoch}, batch ${b + 1} (learning rate too high?)`,
            );
          lossSum += loss * indices.length;
          correctSum += correct;
          options.onProgress?.({
            epoch,
            epochs: options.epochs,
            batch: b + 1,
            batches,
            loss,
            trainAccuracy: correct / indices.length,
          });
        } finally {
          if (inputs !== x) inputs.dispose();
          tf.dispose([x, labels]);
        }
      }
      const seconds = (performance.now() - epochStart) / 1000;
      const testAccuracy = evaluateAccuracy(model, data.test, options.evaluationBatchSize);
      const summary: EpochSummary = {
        epoch,
        loss: lossSum / data.train.count,
        trainAccuracy: correctSum / data.train.count,
        testAccuracy,
        seconds,
      };
      history.push(summary);
      await options.onEpochEnd?.(summary, { model, optimizer, history });
    }
  } finally {
    if (options.optimizer === undefined) optimizer.dispose();
  }
  return {
    history,
    testAccuracy:
      history.length === 0
        ? evaluateAccuracy(model, data.test, options.evaluationBatchSize)
        : history[history.length - 1].testAccuracy,
    seconds: (performance.now() - started) / 1000,
  };
}
