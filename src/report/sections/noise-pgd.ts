/**
 * Section 'noise-pgd': Linf PGD on noise images of the sweep (the book's Figure 10.7), untargeted and
 * targeted towards the photo's class (or another): class and confidence before and after.
 */
import { noisePgd } from '../../experiments/noise-pgd.js';
import { noisePgdCells } from '../../experiments/noise-pgd-writers.js';
import { noisePgdProgress } from '../../experiments/experiment-progress.js';
import type { NoisePoint } from '../../experiments/noise-sweep.js';
import { formatPercent } from '../../experiments/transfer-writers.js';
import { classIndex } from '../../models/labels.js';
import type { Model } from '../../models/model.js';
import type { ReportBlock } from '../html-report.js';
import type { SectionProgress } from './chapter-sections.js';

export interface NoisePgdSettings {
  points: readonly NoisePoint[];
  seed: number;
  /** Linf radius in units of the bounds. */
  eps: number;
  steps: number;
  /** Target class of targeted PGD (index or name); default: the photo's class. */
  target?: string;
}

/** PGD on one noise image per point with `model`; `photoClass` is the default target. */
export async function noisePgdBlocks(
  model: Model,
  photoClass: number,
  settings: NoisePgdSettings,
  onProgress?: SectionProgress,
): Promise<ReportBlock[]> {
  const target = settings.target === undefined ? photoClass : classIndex(model.labels, settings.target);
  const { points, seed, eps, steps } = settings;
  const result = await noisePgd(model, {
    points,
    samples: 1,
    seed,
    eps,
    steps,
    target,
    onProgress: onProgress === undefined ? undefined : noisePgdProgress(2, onProgress),
  });
  const fractions = Object.entries(result.confidentAfter).map(
    ([mode, f]) => `${mode} ${formatPercent(f as number)}`,
  );
  const towards = result.rows.find((r) => r.target !== null)?.target?.index ?? photoClass;
  return [
    {
      kind: 'paragraph',
      text: `Linf PGD (eps ${result.eps.toPrecision(4)}, ${result.steps} steps) on noise images of the sweep (same seed): untargeted, away from the noise's own top-1, and targeted towards ${model.labels[towards]} (the photo's class unless --target is given).`,
    },
    {
      kind: 'table',
      head: ['mu', 'sigma', 'attack', 'before (top-1, p)', 'after (top-1, p)', 'success'],
      rows: result.rows.map((r) => [
        String(r.mu),
        String(r.sigma),
        r.mode === 'targeted' ? `targeted: ${r.target?.name}` : 'untargeted',
        `${r.before.name} ${r.before.p.toFixed(3)}`,
        `${r.after.name} ${r.after.p.toFixed(3)}`,
        r.success ? 'yes' : 'no',
      ]),
      caption: `Classified with p >= ${result.confidence}: before ${formatPercent(result.confidentBefore)}; after PGD: ${fractions.join(', ')}.`,
    },
    { kind: 'gallery', items: noisePgdCells(result, 8), size: 140, columns: 6 },
  ];
}
