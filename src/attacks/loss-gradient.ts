/**
 * The input gradient every gradient attack follows: of the cross-entropy of the logits against the
 * criterion's labels (ascended for untargeted attacks, descended for targeted ones).
 *
 * The loss is `-sum(onehot * logSoftmax(logits))`, summed over the batch so that each input's gradient
 * is its own: tf.losses.softmaxCrossEntropy's default mean reduction gives wrong gradients on wasm for
 * batches above 2 (tfjs 4.22).
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { AttackGoal, Criterion } from '../criteria/index.js';
import type { Model } from '../models/model.js';

export function attackGoal(criterion: Criterion, attackName: string): AttackGoal {
  const goal = criterion.goal();
  if (goal === null) throw new Error(`${attackName} needs a criterion with labels or target classes`);
  return goal;
}

export function requireDifferentiable(model: Model, attackName: string): void {
  if (!model.differentiable) {
    throw new Error(`${attackName} needs input gradients, but model ${model.name} is not differentiable`);
  }
}

/** Gradient of the attack loss (to be ascended) with respect to x. */
export function lossGradient(model: Model, x: Tensor4D, goal: AttackGoal): Tensor4D {
  return gradientOfLoss(model, x, goal, false).gradient;
}

/** The same gradient, and the logits at x from the same forward pass. The caller disposes both. */
export function lossGradientAndLogits(
  model: Model,
  x: Tensor4D,
  goal: AttackGoal,
): { gradient: Tensor4D; logits: Tensor2D } {
  const { gradient, logits } = gradientOfLoss(model, x, goal, true);
  if (logits === null) throw new Error('lossGradientAndLogits: the model returned no logits');
  return { gradient, logits };
}

/** One backward pass; with `keepLogits`, the forward pass's logits are kept (outside every tidy) too. */
function gradientOfLoss(
  model: Model,
  x: Tensor4D,
  goal: AttackGoal,
  keepLogits: boolean,
): { gradient: Tensor4D; logits: Tensor2D | null } {
  let logits: Tensor2D | null = null;
  const gradient = tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(goal.labels as number[], 'int32'), model.numClasses);
    const sign = goal.targeted ? 1 : -1;
    const loss = (input: tf.Tensor) => {
      const out = model.logits(input as Tensor4D);
      if (keepLogits) logits = tf.keep(tf.clone(out));
      return tf.mul(sign, tf.sum(tf.mul(onehot, tf.logSoftmax(out)))) as tf.Scalar;
    };
    return tf.grad(loss)(x) as Tensor4D;
  });
  return { gradient, logits };
}
