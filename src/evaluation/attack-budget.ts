/**
 * The budget of an attack on a batch of images, and the one way every budget runs: at fixed epsilons
 * (one outcome per epsilon), a minimization attack's smallest adversarial (one outcome, eps null), or a
 * search of the smallest epsilon per image over a grid (one outcome, each image at its own eps). Every
 * outcome has the same shape, so whatever reports on them (attack-images.ts) has one path.
 */
import type { AttackProgress } from '../attacks/attack.js';
import type { Attack } from '../attacks/index.js';
import {
  minimalEpsilonSearch,
  type EpsilonSearchProgress,
  type MinimalEpsilon,
} from '../attacks/epsilon-search.js';
import { perturbationNorms, runAtBudgets } from '../attacks/run-budgets.js';
import type { Criterion } from '../criteria/index.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import type { Model } from '../models/model.js';

export type AttackBudget =
  /** The attack at each epsilon (units of the bounds). */
  | { kind: 'epsilons'; epsilons: readonly number[] }
  /** A minimization attack run once: each image's smallest adversarial found. */
  | { kind: 'smallest' }
  /** Per image, the smallest epsilon of an ascending grid at which the criterion holds, then bisected. */
  | { kind: 'search'; grid: readonly number[]; bisectionSteps?: number };

export interface BudgetProgress {
  done: number;
  total: number;
  /** Where the run is, in words (`eps 1/2`; `image 1/3, grid, eps 0.0118`). */
  label: string;
  /** With an eps search: where the search is. */
  search?: EpsilonSearchProgress;
}

export interface BudgetOutcome {
  /** Per image: the epsilon of the adversarial (null: the smallest adversarial of a minimization attack). */
  eps: (number | null)[];
  /** The adversarials, clipped into the eps ball and the bounds (the caller disposes them). */
  adversarial: Tensor4D;
  success: boolean[];
  /** Per image: the L-infinity and L2 norms of the perturbation. */
  linf: number[];
  l2: number[];
  /** Per image: model queries, for attacks that count them (score- and decision-based). */
  queries?: number[];
  /** With an eps search: what it found per image. */
  search?: MinimalEpsilon[];
}

async function searchOutcome(
  attack: Attack,
  model: Model,
  x: Tensor4D,
  criterion: Criterion,
  budget: Extract<AttackBudget, { kind: 'search' }>,
  onProgress?: (progress: BudgetProgress) => void,
): Promise<BudgetOutcome> {
  const { grid } = budget;
  const result = await minimalEpsilonSearch(attack, model, x, criterion, {
    grid,
    bisectionSteps: budget.bisectionSteps,
    onProgress: (p) =>
      onProgress?.({
        done: p.image,
        total: p.images,
        label: `image ${p.image + 1}/${p.images}, ${p.phase}, eps ${p.eps.toPrecision(3)}`,
        search: p,
      }),
  });
  try {
    return {
      eps: result.images.map((found) => found.eps ?? grid[grid.length - 1]),
      adversarial: result.adversarial,
      success: result.success,
      ...perturbationNorms(x, result.adversarial),
      search: result.images,
    };
  } catch (error) {
    result.adversarial.dispose();
    throw error;
  }
}

/** Runs `attack` on `x` within `budget`: one outcome per epsilon, or one for the other budgets. */
export async function runAttackBudget(
  attack: Attack,
  model: Model,
  x: Tensor4D,
  criterion: Criterion,
  budget: AttackBudget,
  onProgress?: (progress: BudgetProgress) => void,
): Promise<BudgetOutcome[]> {
  if (budget.kind === 'search') return [await searchOutcome(attack, model, x, criterion, budget, onProgress)];
  const epsilons = budget.kind === 'epsilons' ? budget.epsilons : null;
  const runs = await runAtBudgets(attack, model, x, criterion, epsilons, (p: AttackProgress) =>
    onProgress?.({
      done: p.epsilonIndex * p.steps + p.step,
      total: p.epsilonCount * p.steps,
      label: `eps ${p.epsilonIndex + 1}/${p.epsilonCount}`,
    }),
  );
  return runs.map((run) => ({
    eps: run.success.map(() => run.eps),
    adversarial: run.adversarial,
    success: run.success,
    linf: run.linf,
    l2: run.l2,
    queries: run.queries,
  }));
}

/** Disposes the adversarials of `outcomes`. */
export function disposeOutcomes(outcomes: readonly BudgetOutcome[]): void {
  tf.dispose(outcomes.map((o) => o.adversarial));
}
