/**
 * What an evaluation returns (plain data, the same as `evaluation.json` and `advx evaluate --json`), built
 * from its state: clean accuracy, robust accuracy after each attack (per-image worst case: an image is
 * robust if it is classified correctly and no attack so far fooled it), per-image outcomes and the
 * sanity warnings.
 */
import type { EvaluationState } from './evaluation-state.js';
import type { EvaluationNorm } from './protocols.js';
import {
  accuracyOrderWarning,
  gradientMaskingWarnings,
  gradientWarning,
  probabilityWarning,
  randomizedWarning,
} from './sanity-checks.js';

export interface AttackSummary {
  name: string;
  /** Fraction of all images still robust after this attack (and those before it). */
  robustAccuracy: number;
  /** Seconds this attack ran (summed over resumed runs). */
  seconds: number;
}

export interface ImageOutcome {
  /** Dataset index. */
  index: number;
  label: number;
  /** Classified correctly. */
  clean: boolean;
  /** Classified correctly and fooled by no attack. */
  robust: boolean;
  /** The attack that fooled it first, if any. */
  fooledBy: string | null;
}

export interface EvaluationResult {
  model: string;
  dataset: string;
  protocol: string;
  norm: EvaluationNorm;
  eps: number;
  seed: number;
  images: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  attacks: AttackSummary[];
  perImage: ImageOutcome[];
  warnings: string[];
}

/** Images robust after the attack at position `k` (k = -1: before any attack, i.e. clean). */
export function robustAfter(state: EvaluationState, k: number): number {
  return state.perImage.filter((p) => p.clean && (p.fooledBy === null || p.fooledBy > k)).length;
}

/** Warnings known once the clean pass is done: probabilities, randomness, gradients. */
export function cleanPassWarnings(state: EvaluationState): string[] {
  const { sanity, config } = state;
  const warnings = [
    probabilityWarning(sanity.probabilityRows, state.perImage.length),
    randomizedWarning(sanity.randomized === true, config.protocol),
    sanity.gradients === null ? null : gradientWarning(sanity.gradients, sanity.gradients.checked),
  ];
  return warnings.filter((w): w is string => w !== null);
}

/** Warnings known once every attack has run: gradient masking, accuracy order. */
export function attackWarnings(state: EvaluationState): string[] {
  const n = state.config.images;
  const outcomes = state.attacks.map((a, k) => ({
    name: a.name,
    usedGradients: a.usedGradients,
    fooled: state.perImage.filter((p) => p.fooledBy === k).length,
  }));
  const order = accuracyOrderWarning(
    robustAfter(state, -1) / n,
    robustAfter(state, state.attacks.length) / n,
  );
  return [...gradientMaskingWarnings(outcomes), ...(order === null ? [] : [order])];
}

/** The result of a finished evaluation. */
export function resultOfState(state: EvaluationState): EvaluationResult {
  const { config } = state;
  const n = config.images;
  const last = state.attacks.length - 1;
  return {
    model: config.model,
    dataset: config.dataset,
    protocol: config.protocol,
    norm: config.norm as EvaluationNorm,
    eps: config.eps,
    seed: config.seed,
    images: n,
    cleanAccuracy: robustAfter(state, -1) / n,
    robustAccuracy: robustAfter(state, last) / n,
    attacks: state.attacks.map((a, k) => ({
      name: a.name,
      robustAccuracy: robustAfter(state, k) / n,
      seconds: Number(a.seconds.toFixed(3)),
    })),
    perImage: state.perImage.map((p) => ({
      index: p.index,
      label: p.label,
      clean: p.clean,
      robust: p.clean && p.fooledBy === null,
      fooledBy: p.fooledBy === null ? null : state.attacks[p.fooledBy].name,
    })),
    warnings: [...cleanPassWarnings(state), ...attackWarnings(state)],
  };
}
