/** Outputs of PGD on noise: a CSV of before/after per image and a labelled PNG panel. */
import { encodePng, magnifyPerturbation } from '../data/png.js';
import { imageGridPng, type GridCell } from '../report/image-grid.js';
import { toCsv } from './csv.js';
import type { NoisePgdResult } from './noise-pgd.js';

export const NOISE_PGD_CSV_FILE = 'noise_pgd.csv';

export const NOISE_PGD_CSV_COLUMNS = [
  'model',
  'mu',
  'sigma',
  'sample',
  'mode',
  'target',
  'before_class',
  'before_prediction',
  'after_class',
  'after_prediction',
  'success',
  'linf',
] as const;

/** One row per (model, noise image, mode). */
export function noisePgdCsv(results: NoisePgdResult | readonly NoisePgdResult[]): string {
  const all = Array.isArray(results) ? results : [results as NoisePgdResult];
  return toCsv(
    NOISE_PGD_CSV_COLUMNS,
    all
      .flatMap((result) => result.rows)
      .map((r) => [
        r.model,
        r.mu,
        r.sigma,
        r.sample,
        r.mode,
        r.target?.name ?? '',
        r.before.name,
        r.before.p,
        r.after.name,
        r.after.p,
        r.success,
        r.linf,
      ]),
  );
}

/** Per row of the result: noise | magnified perturbation | adversarial, with captions. */
export function noisePgdCells(result: NoisePgdResult, maxRows = 8): GridCell[] {
  const [h, w, c] = result.shape;
  const channels = c as 1 | 3;
  const several = result.rows.some((r) => r.sample > 0);
  return result.rows.slice(0, maxRows).flatMap((r, i) => {
    const e = result.examples[i];
    const delta = e.adversarial.map((v, j) => v - e.noise[j]);
    const magnified = magnifyPerturbation(delta, result.bounds);
    const mode = r.mode === 'targeted' ? `targeted: ${r.target?.name}` : 'untargeted';
    return [
      {
        png: encodePng(e.noise, h, w, channels, result.bounds),
        caption: [
          `mu ${r.mu}, sigma ${r.sigma}${several ? `, #${r.sample + 1}` : ''}`,
          `${r.before.name} ${r.before.p.toFixed(3)}`,
        ],
      },
      {
        png: encodePng(magnified.pixels, h, w, channels, result.bounds),
        caption: [mode, `x${magnified.magnification.toFixed(0)}, linf ${r.linf.toFixed(4)}`],
      },
      {
        png: encodePng(e.adversarial, h, w, channels, result.bounds),
        caption: ['after PGD', `${r.after.name} ${r.after.p.toFixed(3)}`],
      },
    ];
  });
}

export function noisePgdPanelPng(result: NoisePgdResult, maxRows = 8): Buffer {
  return imageGridPng(noisePgdCells(result, maxRows), {
    columns: 3,
    title: `${result.model}: PGD on noise (eps ${result.eps.toPrecision(3)}, ${result.steps} steps)`,
  });
}
