/**
 * Section 'transfer': adversarials crafted white-box on each model, shown to every model: the matrix of
 * flip rates on sample ImageNet photos, as a table and a heatmap.
 */
import type { Attack } from '../../attacks/index.js';
import { transferZooProgress } from '../../experiments/experiment-progress.js';
import { imagenetLabelOfFile, sampleImagenetFiles, transferZoo } from '../../experiments/transfer-zoo.js';
import { formatRate, transferMatrixTable } from '../../experiments/transfer-zoo-writers.js';
import { formatPercent } from '../../experiments/transfer-writers.js';
import type { Model } from '../../models/model.js';
import { transferHeatmapSvg } from '../chapter-charts.js';
import type { ReportBlock } from '../html-report.js';
import type { SectionProgress } from './chapter-sections.js';

export interface TransferSettings {
  /** Sample photos drawn (seeded) from the ImageNet sample folder. */
  images: number;
  seed: number;
  attack: Attack;
  /** In units of the bounds. */
  eps: number;
}

export async function transferZooBlocks(
  models: readonly Model[],
  settings: TransferSettings,
  onProgress?: SectionProgress,
): Promise<ReportBlock[]> {
  const files = sampleImagenetFiles(settings.images, settings.seed);
  const result = await transferZoo(models, {
    files,
    labels: files.map(imagenetLabelOfFile),
    attack: settings.attack,
    eps: settings.eps,
    onProgress: onProgress === undefined ? undefined : transferZooProgress(models.length, onProgress),
  });
  const { head, rows } = transferMatrixTable(result);
  return [
    {
      kind: 'paragraph',
      text: `${result.attack} at eps ${result.eps.toPrecision(4)}, crafted white-box on each model with the true labels of ${result.images} sample photos, then shown to every model. Flip rate: misclassified after the attack, among the photos the evaluating model gets right. The diagonal is the white-box success rate.`,
    },
    {
      kind: 'table',
      head,
      rows,
      caption: `Clean top-1 on these photos: ${result.models.map((m, i) => `${m} ${formatPercent(result.cleanAccuracy[i])}`).join(', ')}.`,
    },
    {
      kind: 'svg',
      svg: await transferHeatmapSvg(
        result.matrix.flat().map((c) => ({
          source: c.source,
          target: c.target,
          rate: c.flipRate,
          label: `${formatRate(c.flipRate)} (${c.flipped}/${c.evaluated})`,
        })),
      ),
    },
  ];
}
