/** Attacks by name, for the CLI and experiments. */
import type { Attack } from './attack.js';
import {
  L2AdditiveGaussianNoise,
  L2AdditiveUniformNoise,
  LinfAdditiveUniformNoise,
} from './additive-noise.js';
import {
  FGM,
  FGSM,
  L1PGD,
  L2BasicIterativeAttack,
  L2PGD,
  LinfBasicIterativeAttack,
  LinfPGD,
  MIFGSM,
} from './gradient-descent.js';
import { SaltAndPepperNoise } from './salt-and-pepper.js';

import type { AttackEntry, AttackSettings } from './attack-entry.js';
import { MINIMIZATION_ALIASES, MINIMIZATION_ATTACKS } from './minimization-attacks.js';
import { BLACKBOX_ALIASES, BLACKBOX_ATTACKS } from './black-box-attacks.js';
import { AUTOATTACK_ALIASES, AUTOATTACK_ATTACKS } from './autoattack-attacks.js';

export type { AttackEntry, AttackSettings } from './attack-entry.js';

type Factory = (s: AttackSettings) => Attack;

const gd = (s: AttackSettings) => ({
  steps: s.steps,
  relStepsize: s.relStepsize,
  absStepsize: s.absStepsize,
  randomStart: s.randomStart,
  seed: s.seed,
});

const GRADIENT_ATTACKS: Record<string, { description: string; create: Factory }> = {
  fgsm: {
    description: 'Fast Gradient Sign Method (Linf, one step)',
    create: (s) => new FGSM({ randomStart: s.randomStart, seed: s.seed }),
  },
  fgm: {
    description: 'Fast Gradient Method (L2, one step)',
    create: (s) => new FGM({ randomStart: s.randomStart, seed: s.seed }),
  },
  'linf-bim': {
    description: 'Basic Iterative Method (Linf)',
    create: (s) => new LinfBasicIterativeAttack(gd(s)),
  },
  'l2-bim': { description: 'Basic Iterative Method (L2)', create: (s) => new L2BasicIterativeAttack(gd(s)) },
  'linf-pgd': { description: 'Projected Gradient Descent (Linf)', create: (s) => new LinfPGD(gd(s)) },
  'l2-pgd': { description: 'Projected Gradient Descent (L2)', create: (s) => new L2PGD(gd(s)) },
  'l1-pgd': { description: 'Projected Gradient Descent (L1)', create: (s) => new L1PGD(gd(s)) },
  'mi-fgsm': { description: 'Momentum Iterative FGSM (Linf)', create: (s) => new MIFGSM(gd(s)) },
  'l2-gaussian-noise': {
    description: 'Additive Gaussian noise of L2 norm eps (best of --repeats)',
    create: (s) => new L2AdditiveGaussianNoise({ repeats: s.repeats, seed: s.seed }),
  },
  'l2-uniform-noise': {
    description: 'Additive uniform noise of L2 norm eps (best of --repeats)',
    create: (s) => new L2AdditiveUniformNoise({ repeats: s.repeats, seed: s.seed }),
  },
  'linf-uniform-noise': {
    description: 'Additive uniform noise in [-eps, eps] (best of --repeats)',
    create: (s) => new LinfAdditiveUniformNoise({ repeats: s.repeats, seed: s.seed }),
  },
  'salt-and-pepper': {
    description: 'Salt-and-pepper noise, minimal L2 (minimization attack)',
    create: (s) => new SaltAndPepperNoise({ steps: s.steps, seed: s.seed }),
  },
};

/** Every attack by name: gradient and noise attacks (above), then each family's own table. */
export const ATTACKS: Record<string, AttackEntry> = {
  ...GRADIENT_ATTACKS,
  ...MINIMIZATION_ATTACKS,
  ...BLACKBOX_ATTACKS,
  ...AUTOATTACK_ATTACKS,
};

/** Aliases users of foolbox/torchattacks type. */
const ALIASES: Record<string, string> = {
  ...MINIMIZATION_ALIASES,
  ...BLACKBOX_ALIASES,
  ...AUTOATTACK_ALIASES,
  pgd: 'linf-pgd',
  bim: 'linf-bim',
  'i-fgsm': 'linf-bim',
  mifgsm: 'mi-fgsm',
  gaussian: 'l2-gaussian-noise',
};

export function attackNames(): string[] {
  return Object.keys(ATTACKS);
}

export function createAttack(name: string, settings: AttackSettings = {}): Attack {
  const key = ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  const entry = ATTACKS[key];
  if (entry === undefined) throw new Error(`unknown attack '${name}' (known: ${attackNames().join(', ')})`);
  return entry.create(settings);
}
