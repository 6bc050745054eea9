/**
 * The PNGs an attack-images run writes: per image and budget outcome, the clipped adversarial and the
 * magnified perturbation, named `N-STEM-ATTACK-TAG-adversarial.png` (N: the image's position, STEM: its
 * file name without extension, TAG: `eps0p03137`, `minimal` or `min-eps`).
 */
import { basename, extname } from 'node:path';
import type { AttackBudget } from './attack-budget.js';

export interface AttackImageFiles {
  adversarial: string;
  perturbation: string;
}

/** The file-name tag of an epsilon: `eps0p03137`. */
export function epsilonTag(eps: number): string {
  const digits = eps
    .toPrecision(4)
    .replace(/\.?0+$/, '')
    .replace('.', 'p');
  return `eps${digits}`;
}

/** The tag of each outcome of `budget`, in order. */
export function budgetTags(budget: AttackBudget): string[] {
  if (budget.kind === 'epsilons') return budget.epsilons.map(epsilonTag);
  return [budget.kind === 'smallest' ? 'minimal' : 'min-eps'];
}

/** The PNG names (no folder) of every image's outcomes: `[image][outcome]`. */
export function attackImageFiles(
  files: readonly string[],
  attack: string,
  budget: AttackBudget,
): AttackImageFiles[][] {
  const tags = budgetTags(budget);
  return files.map((file, n) =>
    tags.map((tag) => {
      const stem = `${n}-${basename(file, extname(file))}-${attack}-${tag}`;
      return { adversarial: `${stem}-adversarial.png`, perturbation: `${stem}-perturbation.png` };
    }),
  );
}
