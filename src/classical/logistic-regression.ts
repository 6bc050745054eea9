/**
 * Multinomial logistic regression (softmax regression) on flattened inputs, L2-regularised, trained with
 * seeded mini-batch Adam on the mean cross-entropy. The result is a differentiable `Model`.
 */
import { crossEntropy } from './fit.js';
import type { LinearClassifier } from './linear-model.js';
import { trainLinear, type LinearOptions } from './linear-training.js';
import type { LabelledRows } from './rows.js';

export type LogisticRegressionOptions = LinearOptions;

/** Defaults: 10 epochs, batch 128, learning rate 0.005, l2 1e-4, seed 0. */
export function trainLogisticRegression(
  data: LabelledRows,
  options: LogisticRegressionOptions = {},
): LinearClassifier {
  return trainLinear(data, 'logistic-regression', crossEntropy, options, {
    epochs: 10,
    batchSize: 128,
    learningRate: 0.005,
  });
}
