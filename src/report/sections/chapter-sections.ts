/** The sections of the chapter report, in order, and what several of them share. */
import type { Prediction } from '../../models/model.js';

/** The sections, in order (ids are stable: tests and links rely on them). */
export const CHAPTER_SECTIONS = [
  { id: 'clean', title: 'Top-3 predictions of the photo (Table 10.1)' },
  { id: 'fgsm', title: 'Minimal-epsilon FGSM and the top-3 after it (Table 10.2)' },
  { id: 'panel', title: 'Original | magnified perturbation | adversarial (Figure 10.2)' },
  { id: 'noise-sweep', title: 'Gaussian noise through each model (Figures 10.5 and 10.8)' },
  { id: 'noise-pgd', title: 'PGD on noise (Figure 10.7)' },
  { id: 'transfer', title: 'Transfer across the zoo' },
] as const;

export type ChapterSectionId = (typeof CHAPTER_SECTIONS)[number]['id'];

/** Progress of a section's long work: done of total, and where it is in words. */
export type SectionProgress = (done: number, total: number, label: string) => void;

/** The head of a top-k table. */
export const TOP_HEAD = ['#', 'class', 'p'];

/** The rows of a top-k table: rank, class (index), probability. */
export function topRows(top: readonly Prediction[]): string[][] {
  return top.map((p, i) => [String(i + 1), `${p.name} (${p.index})`, p.p.toFixed(4)]);
}
