/**
 * AutoAttack's target classes (APGD-T, FAB-T): for each input, the classes ranked by their clean logit,
 * largest first; the targeted runs take ranks 2, 3, ... (the most likely wrong classes first) in turn.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { AttackGoal, Criterion } from '../criteria/index.js';
import type { Model } from '../models/model.js';
import { criterionFlags } from './attack.js';

/** Classes of each row of `logits` by descending logit. */
function rankedClasses(logits: Tensor2D): number[][] {
  const { values, indices } = tf.topk(logits, logits.shape[1]);
  try {
    return indices.arraySync() as number[][];
  } finally {
    tf.dispose([values, indices]);
  }
}

/** How many target classes a run can take: `requested`, at most every class but the top one. */
export function targetClassCount(requested: number, numClasses: number): number {
  return Math.max(0, Math.min(requested, numClasses - 1));
}

/**
 * The target of each input for targeted pass `pass` (0-based): the class of rank `pass + 2` by clean
 * logit, or, for a targeted criterion, its own targets (one pass only).
 */
export function passTargets(goal: AttackGoal, ranked: readonly number[][], pass: number): number[] {
  return goal.targeted ? [...goal.labels] : ranked.map((classes) => classes[pass + 1]);
}

/**
 * The label each input moves away from: the criterion's label, or, for a targeted criterion (which has
 * none), the clean prediction.
 */
export function sourceLabels(goal: AttackGoal, ranked: readonly number[][]): number[] {
  return goal.targeted ? ranked.map((classes) => classes[0]) : [...goal.labels];
}

/** One clean pass: which inputs the criterion already accepts, and each input's classes by logit. */
export async function cleanStart(
  model: Model,
  criterion: Criterion,
  x0: Tensor4D,
): Promise<{ accepted: boolean[]; ranked: number[][] }> {
  const logits = await model.logits(x0);
  try {
    return { accepted: criterionFlags(criterion, x0, logits), ranked: rankedClasses(logits) };
  } finally {
    logits.dispose();
  }
}
