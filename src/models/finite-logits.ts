/**
 * Non-finite model outputs are an error, not a prediction: NaN logits have an arbitrary argmax (a label
 * contradicting the probabilities shown) and would count as successful attacks. Every consumer that reads
 * a model's logits (model.ts' logitsBatched, hence predictLabels / topPredictions / accuracy) goes
 * through `finiteLogits`, whatever the engine behind the model.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Model } from './model.js';

/** Throws a one-line error naming the model and the first input whose logits are NaN or infinite. */
export function checkFiniteLogits(logits: Tensor2D, modelName: string): void {
  const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(logits)), 1));
  const flags = Array.from(bad.dataSync(), (f) => f !== 0);
  bad.dispose();
  const first = flags.indexOf(true);
  if (first < 0) return;
  const count = flags.filter(Boolean).length;
  const others = count > 1 ? ` (and ${count - 1} more of ${flags.length})` : '';
  throw new Error(
    `model ${modelName}: its output for input ${first}${others} is NaN or infinite (broken weights, or an input it cannot take)`,
  );
}

/** `model.logits(x)`, refused (and freed) when any logit is NaN or infinite. */
export async function finiteLogits(model: Model, x: Tensor4D): Promise<Tensor2D> {
  const logits = await model.logits(x);
  try {
    checkFiniteLogits(logits, model.name);
  } catch (error) {
    logits.dispose();
    throw error;
  }
  return logits;
}
