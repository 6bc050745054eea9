/**
 * One-vs-rest linear SVM on flattened inputs: one decision score per class, s = x W + b, trained with
 * seeded mini-batch Adam on the mean over examples of sum_k hinge(t_k * s_k) with t_k = +1 for the true
 * class and -1 otherwise (squared hinge by default, as scikit-learn's LinearSVC), plus (l2 / 2)||W||^2.
 * The logits are the decision scores; the result is a differentiable `Model`.
 */
import { tf, type Tensor2D } from '../engine/tf.js';
import type { LinearClassifier } from './linear-model.js';
import { trainLinear, type LinearOptions } from './linear-training.js';
import type { LabelledRows } from './rows.js';

export interface LinearSvmOptions extends LinearOptions {
  /** 'squared-hinge' (default) or 'hinge'. */
  loss?: 'squared-hinge' | 'hinge';
}

/** Mean one-vs-rest hinge loss of decision scores against one-hot labels. */
export function oneVsRestHinge(scores: Tensor2D, onehot: Tensor2D, squared: boolean): tf.Scalar {
  const signs = tf.sub(tf.mul(onehot, 2), 1);
  const margins = tf.relu(tf.sub(1, tf.mul(signs, scores)));
  const perExample = squared ? tf.square(margins) : margins;
  return tf.div(tf.sum(perExample), scores.shape[0]) as tf.Scalar;
}

/** Defaults: squared hinge, 10 epochs, batch 128, learning rate 0.002, l2 1e-4, seed 0. */
export function trainLinearSvm(data: LabelledRows, options: LinearSvmOptions = {}): LinearClassifier {
  const loss = options.loss ?? 'squared-hinge';
  if (loss !== 'squared-hinge' && loss !== 'hinge')
    throw new Error(`linear-svm: loss must be 'squared-hinge' or 'hinge' (got '${String(loss)}')`);
  const squared = loss === 'squared-hinge';
  return trainLinear(data, 'linear-svm', (s, y) => oneVsRestHinge(s, y, squared), options, {
    epochs: 10,
    batchSize: 128,
    learningRate: 0.002,
  });
}
