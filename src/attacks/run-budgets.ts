/**
 * One way to run any attack for a report: at a list of epsilons, or, for a minimization attack without
 * epsilons (`null`), once for its smallest adversarials. Either way the result is a list of runs, one per
 * budget, each with its adversarials (clipped; for `null`, the smallest found, in bounds), the criterion's
 * verdict on them and each input's perturbation size.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Criterion } from '../criteria/index.js';
import { distance } from '../distances/index.js';
import type { Model } from '../models/model.js';
import { MinimizationAttack, type Attack, type AttackProgress } from './attack.js';

export interface BudgetRun {
  /** The epsilon, or null for the smallest adversarial found. */
  eps: number | null;
  /** The adversarials (the caller disposes them). */
  adversarial: Tensor4D;
  success: boolean[];
  /** Per input: the L-infinity and L2 norms of the perturbation. */
  linf: number[];
  l2: number[];
  /** Per input: model queries, for attacks that count them (score- and decision-based). */
  queries?: number[];
}

export function isMinimizationAttack(attack: Attack): attack is MinimizationAttack {
  return attack instanceof MinimizationAttack;
}

/**
 * Runs `attack` at `epsilons`, or without a budget when `epsilons` is null (minimization attacks only: a
 * fixed-epsilon attack refuses with a one-line message).
 */
export async function runAtBudgets(
  attack: Attack,
  model: Model,
  x: Tensor4D,
  criterion: Criterion,
  epsilons: readonly number[] | null,
  onProgress?: (progress: AttackProgress) => void,
): Promise<BudgetRun[]> {
  if (epsilons === null && !isMinimizationAttack(attack))
    throw new Error(`${attack.name} looks for an adversarial within a given eps: give epsilons`);
  const budgets: (number | null)[] = epsilons === null ? [null] : [...epsilons];
  let adversarials: Tensor4D[];
  let successes: boolean[][];
  let queries: number[][] | undefined;
  if (epsilons === null) {
    const result = await attack.run(model, x, criterion, { epsilons: null, onProgress });
    result.raw.dispose();
    adversarials = [result.clipped];
    successes = [result.success];
    queries = result.queries === undefined ? undefined : [result.queries];
  } else {
    const result = await attack.run(model, x, criterion, { epsilons, onProgress });
    tf.dispose(result.raw);
    adversarials = result.clipped;
    successes = result.success;
    queries = result.queries;
  }
  return budgets.map((eps, k) => {
    const { linf, l2 } = perturbationNorms(x, adversarials[k]);
    return { eps, adversarial: adversarials[k], success: successes[k], linf, l2, queries: queries?.[k] };
  });
}

/** Per input: the Linf and L2 norms of `adversarial - x`. */
export function perturbationNorms(x: Tensor4D, adversarial: Tensor4D): { linf: number[]; l2: number[] } {
  const [linf, l2] = (['linf', 'l2'] as const).map((norm) => {
    const d = distance(norm, x, adversarial);
    const values = Array.from(d.dataSync());
    d.dispose();
    return values;
  });
  return { linf, l2 };
}
