/**
 * AutoAttack's attacks by name, in the registry's shape: APGD-CE,
 * APGD-DLR, APGD-T, FAB, FAB-T and Square, in Linf (the plain names, as AutoAttack prints them) and L2
 * (`l2-` names, as the registry's `l2-pgd`). All are fixed-eps attacks with AutoAttack's defaults;
 * `src/evaluation/autoattack.ts` lists them as AutoAttack's versions run them.
 */
import type { AttackEntry, AttackSettings } from './attack-entry.js';
import { APGD, APGDT, type ApgdNorm } from './apgd.js';
import { FAB, FABT } from './fab.js';
import { SquareAttack } from './square.js';

const apgd = (s: AttackSettings, norm: ApgdNorm) => ({
  norm,
  steps: s.steps,
  restarts: s.restarts,
  eotIterations: s.eotIterations,
  seed: s.seed,
});
const fab = (s: AttackSettings, norm: ApgdNorm) => ({
  norm,
  steps: s.steps,
  restarts: s.restarts,
  seed: s.seed,
});

function entries(norm: ApgdNorm): Record<string, AttackEntry> {
  const prefix = norm === 'l2' ? 'l2-' : '';
  const label = norm === 'l2' ? 'L2' : 'Linf';
  return {
    [`${prefix}apgd-ce`]: {
      description: `Auto-PGD on the cross-entropy (${label}; AutoAttack's APGD-CE)`,
      create: (s) => new APGD({ ...apgd(s, norm), loss: 'ce' }),
    },
    [`${prefix}apgd-dlr`]: {
      description: `Auto-PGD on the difference of logits ratio (${label}; AutoAttack's APGD-DLR)`,
      create: (s) => new APGD({ ...apgd(s, norm), loss: 'dlr' }),
    },
    [`${prefix}apgd-t`]: {
      description: `Auto-PGD on the targeted DLR loss, the 9 most likely wrong classes in turn (${label}; APGD-T)`,
      create: (s) => new APGDT({ ...apgd(s, norm), targetClasses: s.targetClasses }),
    },
    [`${prefix}fab`]: {
      description: `Fast Adaptive Boundary attack, untargeted (${label}; AutoAttack's FAB)`,
      create: (s) => new FAB(fab(s, norm)),
    },
    [`${prefix}fab-t`]: {
      description: `Fast Adaptive Boundary attack towards the 9 most likely wrong classes in turn (${label}; FAB-T)`,
      create: (s) => new FABT({ ...fab(s, norm), targetClasses: s.targetClasses }),
    },
    [`${prefix}square`]: {
      description: `Square Attack, score-based, 5000 queries (${label}; --max-queries)`,
      create: (s) => new SquareAttack({ norm, maxQueries: s.maxQueries, pInit: s.pInit, seed: s.seed }),
    },
  };
}

export const AUTOATTACK_ATTACKS: Record<string, AttackEntry> = { ...entries('linf'), ...entries('l2') };

/** The registry's aliases for these attacks (the `linf-` spellings of the Linf attacks, AutoAttack's `apgd`). */
export const AUTOATTACK_ALIASES: Record<string, string> = {
  apgd: 'apgd-ce',
  'linf-apgd-ce': 'apgd-ce',
  'linf-apgd-dlr': 'apgd-dlr',
  'linf-apgd-t': 'apgd-t',
  'linf-fab': 'fab',
  'linf-fab-t': 'fab-t',
  'linf-square': 'square',
};
