/**
 * AutoAttack's attack lists (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks"), with the fixed hyper-parameters fra31/auto-attack's
 * `AutoAttack.set_version` gives them:
 *
 * - 'standard': APGD-CE (100 steps, no restarts), APGD-T (9 target classes), FAB-T (9 target classes),
 *   Square (5000 queries, p_init 0.8);
 * - 'rand' (randomized defenses): APGD-CE and APGD-DLR, each averaging 20 gradients per step (EOT).
 * Every attack takes the suite's seed. The names are those AutoAttack prints ('apgd-ce', 'apgd-t',
 * 'fab-t', 'square', 'apgd-dlr').
 *
 * The contract with the runner that evaluates a model with a suite (`evaluate()`, not here):
 * - every attack is a fixed-eps attack: run each at the suite's eps and norm
 *   (`attack.run(model, x, labels, { epsilons: eps })`), in the listed order, each on the points still
 *   robust after the previous ones; a point is robust when it is classified correctly and no attack
 *   fooled it within eps (the per-image worst case);
 * - give every attack the true labels (an untargeted criterion): APGD-T and FAB-T choose their target
 *   classes themselves, from the clean logits;
 * - Square never asks for gradients (it works on black-box models) and reports its queries per input.
 */
import type { Attack } from '../attacks/attack.js';
import { APGD, APGDT } from '../attacks/apgd.js';
import { FABT } from '../attacks/fab.js';
import { SquareAttack } from '../attacks/square.js';
import { checkChoice } from '../attacks/option-checks.js';

export type AutoAttackNorm = 'linf' | 'l2';
export type AutoAttackVersion = 'standard' | 'rand';

export interface AutoAttackSuiteOptions {
  norm: AutoAttackNorm;
  eps: number;
  /** Default 'standard'. */
  version?: AutoAttackVersion;
  /** The model's number of classes: the targeted attacks take at most numClasses - 1 targets. */
  numClasses: number;
  /** Default 0. */
  seed?: number;
}

export interface SuiteAttack {
  /** The attack's name as AutoAttack prints it. */
  name: string;
  attack: Attack;
}

/** AutoAttack's fixed settings (set_version). */
export const AUTOATTACK_SETTINGS = {
  steps: 100,
  targetClasses: 9,
  squareQueries: 5000,
  squarePInit: 0.8,
  randEotIterations: 20,
} as const;

/** The configured attacks of an AutoAttack version, in the order they run. */
export function autoAttackSuite(options: AutoAttackSuiteOptions): SuiteAttack[] {
  const norm = checkChoice('autoattack', 'norm', options.norm, ['linf', 'l2'] as const);
  const version = checkChoice('autoattack', 'version', options.version ?? 'standard', [
    'standard',
    'rand',
  ] as const);
  const { eps, numClasses } = options;
  const seed = options.seed ?? 0;
  if (!Number.isFinite(eps) || eps <= 0)
    throw new Error(`autoattack: eps must be a finite number > 0 (got ${eps})`);
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new Error(`autoattack: numClasses must be an integer >= 2 (got ${numClasses})`);
  if (!Number.isFinite(seed)) throw new Error(`autoattack: seed must be a finite number (got ${seed})`);
  const s = AUTOATTACK_SETTINGS;
  if (version === 'rand') {
    if (numClasses < 3)
      throw new Error(
        `autoattack: version 'rand' needs at least 3 classes (APGD-DLR), the model has ${numClasses}`,
      );
    const eot = { norm, steps: s.steps, restarts: 1, eotIterations: s.randEotIterations, seed };
    return [
      { name: 'apgd-ce', attack: new APGD({ ...eot, loss: 'ce' }) },
      { name: 'apgd-dlr', attack: new APGD({ ...eot, loss: 'dlr' }) },
    ];
  }
  if (numClasses < 4)
    throw new Error(
      `autoattack: version 'standard' needs at least 4 classes (APGD-T's targeted DLR loss), the model has ${numClasses}`,
    );
  const targetClasses = Math.min(s.targetClasses, numClasses - 1);
  return [
    { name: 'apgd-ce', attack: new APGD({ norm, loss: 'ce', steps: s.steps, restarts: 1, seed }) },
    { name: 'apgd-t', attack: new APGDT({ norm, steps: s.steps, restarts: 1, targetClasses, seed }) },
    { name: 'fab-t', attack: new FABT({ norm, steps: s.steps, restarts: 1, targetClasses, seed }) },
    {
      name: 'square',
      attack: new SquareAttack({ norm, maxQueries: s.squareQueries, pInit: s.squarePInit, seed }),
    },
  ];
}
