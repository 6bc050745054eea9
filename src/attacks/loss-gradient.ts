/**
 * The input gradient every classic gradient attack follows: of the cross-entropy of the logits against the
 * criterion's labels (ascended for untargeted attacks, descended for targeted ones), asked of the model
 * through the seam (`model.lossGradient`), so that it works on every engine.
 */
import type { Tensor2D, Tensor4D } from '../engine/tf.js';
import { tf } from '../engine/tf.js';
import type { AttackGoal, Criterion } from '../criteria/index.js';
import { crossEntropyLoss, type Loss } from '../models/loss.js';
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

/** The cross-entropy loss of a criterion's goal: away from its labels, or towards its targets. */
export function goalLoss(goal: AttackGoal): Loss {
  return crossEntropyLoss(goal.labels, goal.targeted);
}

/** Gradient of the attack loss (to be ascended) with respect to x. The caller disposes it. */
export async function lossGradient(model: Model, x: Tensor4D, goal: AttackGoal): Promise<Tensor4D> {
  const { gradient, logits, loss } = await model.lossGradient(x, goalLoss(goal));
  tf.dispose([logits, loss]);
  return gradient;
}

/** The same gradient, and the logits at x from the same forward pass. The caller disposes both. */
export async function lossGradientAndLogits(
  model: Model,
  x: Tensor4D,
  goal: AttackGoal,
): Promise<{ gradient: Tensor4D; logits: Tensor2D }> {
  const { gradient, logits, loss } = await model.lossGradient(x, goalLoss(goal));
  loss.dispose();
  return { gradient, logits };
}
