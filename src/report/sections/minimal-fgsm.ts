/**
 * Section 'fgsm': the book's `FGSM(criterion=ConfidentMisclassification(.9))`, the smallest epsilon per
 * image at which FGSM meets the criterion (grid, then bisection), and the top-3 after it (Table 10.2).
 * It runs through attackImages, the run behind `advx attack --eps-search`, without writing PNGs.
 */
import { createAttack } from '../../attacks/index.js';
import type { Criterion } from '../../criteria/index.js';
import type { Tensor4D } from '../../engine/tf.js';
import { attackImages, type AttackedRun } from '../../evaluation/attack-images.js';
import type { Model } from '../../models/model.js';
import type { ReportBlock } from '../html-report.js';
import { TOP_HEAD, topRows, type SectionProgress } from './chapter-sections.js';

export interface MinimalFgsmSettings {
  /** Ascending epsilons > 0, in units of the bounds. */
  grid: readonly number[];
  /** The grid as the report describes it (`1/255:32/255:1/255`). */
  gridText: string;
  bisectionSteps: number;
}

/** What the search found for the photo, and its adversarial `[1,H,W,C]` (the caller disposes it). */
export interface MinimalFgsm {
  run: AttackedRun;
  adversarial: Tensor4D;
}

/** Runs the search on the photo (`[1,H,W,C]`, file `image`, class `label`). */
export async function minimalFgsm(
  model: Model,
  image: string,
  photo: Tensor4D,
  label: number,
  criterion: Criterion,
  settings: MinimalFgsmSettings,
  onProgress?: SectionProgress,
): Promise<MinimalFgsm> {
  const { grid, bisectionSteps } = settings;
  const result = await attackImages(model, photo, {
    files: [image],
    attack: createAttack('fgsm'),
    criterion,
    labels: [label],
    budget: { kind: 'search', grid, bisectionSteps },
    keepAdversarials: true,
    onProgress: (p) => {
      if (p.search !== undefined)
        onProgress?.(
          p.search.runs,
          grid.length + bisectionSteps,
          `${p.search.phase} eps ${p.search.eps.toPrecision(3)}`,
        );
    },
  });
  const [adversarial] = result.adversarials as Tensor4D[];
  return { run: result.images[0].runs[0], adversarial };
}

/** The section's paragraphs and the top-3 table of the adversarial. */
export function minimalFgsmBlocks(
  found: AttackedRun,
  criterion: Criterion,
  settings: MinimalFgsmSettings,
  model: Model,
): ReportBlock[] {
  const { grid } = settings;
  const search = found.search ?? { gridEps: null, failingEps: 0, runs: 0 };
  const range = model.bounds[1] - model.bounds[0];
  const eps = found.eps ?? grid[grid.length - 1];
  const summary = !found.success
    ? `FGSM found no ${criterion.description} up to eps ${grid[grid.length - 1].toPrecision(4)} (${search.runs} attack runs); shown: what it produced at the largest eps.`
    : `Smallest eps with ${criterion.description}: ${eps.toPrecision(4)} (= ${((eps / range) * 255).toFixed(2)}/255 of the range; smallest on the grid ${search.gridEps?.toPrecision(4)}, fails at ${search.failingEps.toPrecision(4)}; ${search.runs} attack runs).`;
  return [
    {
      kind: 'paragraph',
      text: `The book's FGSM(criterion=ConfidentMisclassification(.9)): per image, the eps grid ${settings.gridText} is scanned until the criterion holds, then ${settings.bisectionSteps} bisection steps refine it.`,
    },
    found.success ? { kind: 'paragraph', text: summary } : { kind: 'note', text: summary },
    {
      kind: 'table',
      head: TOP_HEAD,
      rows: topRows(found.top),
      caption: `Top-3 of the adversarial (eps ${eps.toPrecision(4)}).`,
    },
  ];
}
