/**
 * The score- and decision-based (black-box) attacks by name, as the registry merges them into `ATTACKS`. None of them asks the model for gradients; each counts its queries per input (results
 * carry `queries`) and stops an input at `maxQueries`.
 * - score-based (logits): NES and SPSA (fixed epsilon, Linf), SimBA (minimization, L2);
 * - decision-based (the criterion's verdict only): Boundary (L2) and HopSkipJump (L2, Linf), minimization.
 */
import type { AttackEntry } from './attack-entry.js';
import { BoundaryAttack } from './boundary.js';
import { HopSkipJump } from './hop-skip-jump.js';
import { NES } from './nes.js';
import { SimBA } from './simba.js';
import { SPSA } from './spsa.js';

/**
 * `--steps` is each attack's iteration limit (SimBA: directions tried); `--step-size` is NES's step, SPSA's
 * Adam learning rate and SimBA's step length; `--rel-stepsize` is NES's step relative to eps.
 */
export const BLACKBOX_ATTACKS: Record<string, AttackEntry> = {
  nes: {
    description: 'NES: Linf PGD on gradients estimated from scores (Ilyas et al. 2018, query-limited)',
    create: (s) =>
      new NES({
        steps: s.steps,
        relStepsize: s.relStepsize,
        absStepsize: s.absStepsize,
        maxQueries: s.maxQueries,
        seed: s.seed,
      }),
  },
  spsa: {
    description: 'SPSA: Adam on gradients estimated from scores (Linf; Uesato et al. 2018)',
    create: (s) =>
      new SPSA({ steps: s.steps, learningRate: s.absStepsize, maxQueries: s.maxQueries, seed: s.seed }),
  },
  simba: {
    description: 'SimBA-DCT: low-frequency coordinate search on scores (L2, minimization; Guo et al. 2019)',
    create: (s) =>
      new SimBA({ maxIterations: s.steps, stepSize: s.absStepsize, maxQueries: s.maxQueries, seed: s.seed }),
  },
  'simba-pixel': {
    description: 'SimBA: pixel coordinate search on scores (L2, minimization; Guo et al. 2019)',
    create: (s) =>
      new SimBA({
        basis: 'pixel',
        maxIterations: s.steps,
        stepSize: s.absStepsize,
        maxQueries: s.maxQueries,
        seed: s.seed,
      }),
  },
  boundary: {
    description:
      'Boundary attack: decision-based walk along the boundary (L2, minimization; Brendel et al. 2018)',
    create: (s) => new BoundaryAttack({ steps: s.steps, maxQueries: s.maxQueries, seed: s.seed }),
  },
  'hop-skip-jump': {
    description:
      'HopSkipJump: decision-based boundary gradient estimates (L2, minimization; Chen et al. 2020)',
    create: (s) => new HopSkipJump({ steps: s.steps, maxQueries: s.maxQueries, seed: s.seed }),
  },
  'linf-hop-skip-jump': {
    description: 'HopSkipJump in Linf (decision-based, minimization; Chen et al. 2020)',
    create: (s) =>
      new HopSkipJump({ constraint: 'linf', steps: s.steps, maxQueries: s.maxQueries, seed: s.seed }),
  },
};

/** Names users of foolbox and the papers type. */
export const BLACKBOX_ALIASES: Record<string, string> = {
  hsj: 'hop-skip-jump',
  'l2-hop-skip-jump': 'hop-skip-jump',
  'linf-hsj': 'linf-hop-skip-jump',
  'simba-dct': 'simba',
  'boundary-attack': 'boundary',
};
