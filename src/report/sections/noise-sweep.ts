/**
 * Section 'noise-sweep': Gaussian noise through each model (the book's Figures 10.5 and 10.8): how
 * confident each model is about noise, its most frequent classes, and a gallery of noise images.
 */
import {
  noiseSweep,
  summarizeNoiseSweep,
  type NoisePoint,
  type PairMode,
} from '../../experiments/noise-sweep.js';
import { noiseGridCells } from '../../experiments/noise-sweep-writers.js';
import { formatPercent } from '../../experiments/transfer-writers.js';
import type { Model } from '../../models/model.js';
import { noiseConfidenceSvg, topClassesSvg } from '../chapter-charts.js';
import type { ReportBlock } from '../html-report.js';
import type { SectionProgress } from './chapter-sections.js';

export interface NoiseSweepSettings {
  points: readonly NoisePoint[];
  /** How the points were made from the means and deviations (the confidence chart's form). */
  pairs: PairMode;
  samples: number;
  /** Predictions kept per noise image. */
  top: number;
  seed: number;
  /** Noise images shown per model (0: no gallery). */
  gridImages: number;
}

export async function noiseSweepBlocks(
  models: readonly Model[],
  settings: NoiseSweepSettings,
  onProgress?: SectionProgress,
): Promise<ReportBlock[]> {
  const { points, samples, top, seed, pairs } = settings;
  const result = await noiseSweep(models, { points, samples, top, seed, onProgress });
  const summary = summarizeNoiseSweep(result, 8);
  const chartPoints = result.predictions.map((p) => ({
    model: p.model,
    mu: p.mu,
    sigma: p.sigma,
    p: p.top[0].p,
    top1: p.top[0].name,
  }));
  const blocks: ReportBlock[] = [
    {
      kind: 'paragraph',
      text: `${result.points.length} (mu, sigma) points (${pairs}) x ${result.samples} noise images each, per model; noise drawn in pixel units 0..255, clipped, then each model's own preprocessing. The CSV (the book's initialization_vals_for_noise.csv) keeps the top-${result.top} per image.`,
    },
    {
      kind: 'table',
      head: [
        'model',
        'noise images',
        'top-1 p > 0.5',
        'top-1 p > 0.9',
        'mean top-1 p',
        'most frequent top-1',
      ],
      rows: summary.map((s) => [
        s.model,
        String(s.images),
        formatPercent(s.above50),
        formatPercent(s.above90),
        s.meanTop1.toFixed(3),
        s.frequent
          .slice(0, 3)
          .map((f) => `${f.name} (${f.count})`)
          .join(', '),
      ]),
    },
    { kind: 'svg', svg: await noiseConfidenceSvg(chartPoints, pairs) },
    {
      kind: 'svg',
      svg: await topClassesSvg(summary.flatMap((s) => s.frequent.map((f) => ({ model: s.model, ...f })))),
    },
  ];
  if (settings.gridImages > 0) {
    for (const model of models) {
      blocks.push({
        kind: 'paragraph',
        text: `${model.name}: noise images with their top-1 class and probability.`,
      });
      blocks.push({
        kind: 'gallery',
        items: await noiseGridCells(model, result, settings.gridImages),
        size: 140,
      });
    }
  }
  return blocks;
}
