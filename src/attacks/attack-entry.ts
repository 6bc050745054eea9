/** What the attack registry holds per name, and the options a user may set from the command line. */
import type { Attack } from './attack.js';

/** Options a user may set from the command line; each attack takes the ones that apply. */
export interface AttackSettings {
  steps?: number;
  relStepsize?: number;
  absStepsize?: number;
  randomStart?: boolean;
  seed?: number;
  repeats?: number;
  /** C&W: steps of the binary search over c. */
  binarySearchSteps?: number;
  /** C&W: kappa, the logit margin an adversarial must have. */
  confidence?: number;
  /** C&W: the constant c the binary search starts from. */
  initialConst?: number;
  /** C&W: stop Adam when the loss stalls. */
  abortEarly?: boolean;
  /** DeepFool: the number of most likely classes tried. */
  candidates?: number;
  /** DeepFool: how far to step past the boundary. */
  overshoot?: number;
  /** DDN, FMN: relative change of the norm budget per step. */
  gamma?: number;
  /** DDN: the L2 budget every input starts with. */
  initEpsilon?: number;
  /** Score- and decision-based attacks: model queries per input at most (every image sent counts). */
  maxQueries?: number;
  /** APGD, FAB: runs from fresh (random) starts on the inputs not yet fooled. */
  restarts?: number;
  /** APGD: gradients averaged per step (EOT) for randomized models. */
  eotIterations?: number;
  /** APGD-T, FAB-T: target classes tried, most likely first. */
  targetClasses?: number;
  /** Square: share of the image the first windows cover. */
  pInit?: number;
}

export interface AttackEntry {
  description: string;
  create: (settings: AttackSettings) => Attack;
}
