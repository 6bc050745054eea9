/**
 * Outputs of the noise sweep: the book's `initialization_vals_for_noise.csv` (plus `model` and `rank`)
 * and a PNG grid of noise images labelled with their top-1 class and confidence.
 */
import { tensorToPng } from '../data/png.js';
import { tf, type Tensor3D } from '../engine/tf.js';
import type { Model } from '../models/model.js';
import { imageGridPng, type GridCell } from '../report/image-grid.js';
import { toCsv } from './csv.js';
import { noiseBatch, type NoisePrediction, type NoiseSweepResult } from './noise-sweep.js';

export const NOISE_CSV_FILE = 'initialization_vals_for_noise.csv';

/** The book's columns (`id` = wnid, `class`, `prediction`, `sigma`, `mu`) plus `model` and `rank`. */
export const NOISE_CSV_COLUMNS = ['id', 'class', 'prediction', 'sigma', 'mu', 'model', 'rank'] as const;

/**
 * One row per (model, point, sample, rank), in that order: each noise image is a block of `top` rows
 * with rank 1..top.
 */
export function noiseSweepCsv(result: NoiseSweepResult): string {
  const rows = result.predictions.flatMap((p) =>
    p.top.map((t, r) => [t.id, t.name, t.p, p.sigma, p.mu, p.model, r + 1]),
  );
  return toCsv(NOISE_CSV_COLUMNS, rows);
}

/** Up to `max` predictions of one model, spread evenly over the sweep. */
export function pickForGrid(predictions: readonly NoisePrediction[], max: number): NoisePrediction[] {
  if (predictions.length <= max) return [...predictions];
  return Array.from(
    { length: max },
    (_, i) => predictions[Math.round((i * (predictions.length - 1)) / Math.max(1, max - 1))],
  );
}

/** Caption of a noise image: its point, its sample number (1-based, when there are several) and top-1. */
export function noiseCaption(p: NoisePrediction, samples = 1): string[] {
  return [
    `mu ${p.mu}, sigma ${p.sigma}${samples > 1 ? `, #${p.sample + 1}` : ''}`,
    `${p.top[0].name} ${p.top[0].p.toFixed(3)}`,
  ];
}

/** Grid cells (noise image + caption) for up to `max` noise images of `model` from the sweep. */
export async function noiseGridCells(model: Model, result: NoiseSweepResult, max = 16): Promise<GridCell[]> {
  const chosen = pickForGrid(
    result.predictions.filter((p) => p.model === model.name),
    max,
  );
  const cells: GridCell[] = [];
  for (const p of chosen) {
    const x = noiseBatch(model, [{ point: { mu: p.mu, sigma: p.sigma }, sample: p.sample }], result.seed);
    const image = tf.squeeze(x, [0]) as Tensor3D;
    cells.push({ png: await tensorToPng(image, model.bounds), caption: noiseCaption(p, result.samples) });
    tf.dispose([x, image]);
  }
  return cells;
}

/** The PNG grid of noise images labelled with their top-1 class and confidence. */
export async function noiseGridPng(model: Model, result: NoiseSweepResult, max = 16): Promise<Buffer> {
  const cells = await noiseGridCells(model, result, max);
  return imageGridPng(cells, {
    title: `${model.name}: noise images and top-1 predictions`,
    columns: Math.min(4, cells.length),
  });
}
