/**
 * The minimal-perturbation attacks by name, as the registry merges them into `ATTACKS`: C&W L2, DeepFool (L2, Linf), DDN and FMN (L1, L2, Linf). Each is a MinimizationAttack: run
 * once, clipped per epsilon; with `epsilons: null` it returns the smallest adversarial found.
 */
import type { AttackEntry, AttackSettings } from './attack-entry.js';
import { L2CarliniWagner } from './carlini-wagner.js';
import { DDN } from './ddn.js';
import { L2DeepFool, LinfDeepFool } from './deepfool.js';
import { L1FastMinimumNorm, L2FastMinimumNorm, LinfFastMinimumNorm } from './fast-minimum-norm.js';

/** `--step-size` is Adam's step size for C&W and the first (largest) step size for FMN. */
const fmn = (s: AttackSettings) => ({ steps: s.steps, maxStepsize: s.absStepsize, gamma: s.gamma });
const deepfool = (s: AttackSettings) => ({
  steps: s.steps,
  candidates: s.candidates,
  overshoot: s.overshoot,
});

export const MINIMIZATION_ATTACKS: Record<string, AttackEntry> = {
  cw: {
    description: 'Carlini & Wagner L2 (minimization attack; foolbox defaults: 9 x 10000 Adam steps)',
    create: (s) =>
      new L2CarliniWagner({
        binarySearchSteps: s.binarySearchSteps,
        steps: s.steps,
        stepsize: s.absStepsize,
        confidence: s.confidence,
        initialConst: s.initialConst,
        abortEarly: s.abortEarly,
      }),
  },
  deepfool: { description: 'DeepFool L2 (minimization attack)', create: (s) => new L2DeepFool(deepfool(s)) },
  'linf-deepfool': {
    description: 'DeepFool Linf (minimization attack)',
    create: (s) => new LinfDeepFool(deepfool(s)),
  },
  ddn: {
    description: 'Decoupled Direction and Norm, L2 (minimization attack)',
    create: (s) => new DDN({ steps: s.steps, initEpsilon: s.initEpsilon, gamma: s.gamma, seed: s.seed }),
  },
  'l1-fmn': {
    description: 'Fast Minimum-Norm L1 (minimization attack)',
    create: (s) => new L1FastMinimumNorm(fmn(s)),
  },
  'l2-fmn': {
    description: 'Fast Minimum-Norm L2 (minimization attack)',
    create: (s) => new L2FastMinimumNorm(fmn(s)),
  },
  'linf-fmn': {
    description: 'Fast Minimum-Norm Linf (minimization attack)',
    create: (s) => new LinfFastMinimumNorm(fmn(s)),
  },
};

/** Aliases to add to the registry's. */
export const MINIMIZATION_ALIASES: Record<string, string> = { 'l2-cw': 'cw', 'l2-deepfool': 'deepfool' };
