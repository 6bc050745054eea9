/**
 * Outputs of the transferability experiment (transfer.ts):
 *
 * - CSV `transfer-<dataset>.csv`: one row per source model, one column per target model holding the
 *   percentage (0-100) of the source's successful adversarial examples that the target misclassifies
 *   (empty when the source had none), then `clean_accuracy` (percent: the clean test accuracy of the
 *   model named in the row, which is also the target of the column of that name), `attacked` (samples the
 *   source classifies correctly), `successful` (those whose adversarial fools the source) and `method`.
 * - JSON `transfer-<dataset>.json`: the whole result (rates as fractions 0-1).
 * - a console table, and a heatmap PNG `transfer-<dataset>.png` (vega-lite `rect` + `text` marks).
 */
import type * as vl from 'vega-lite';
import { svgAndPng, vegaLiteToSvg } from '../report/plot.js';
import { SVG_FONT_FAMILY } from '../report/svg-png.js';
import { toCsv } from './csv.js';
import type { TransferExperimentResult } from './transfer.js';

export function transferFiles(dataset: string): { csv: string; json: string; png: string } {
  return { csv: `transfer-${dataset}.csv`, json: `transfer-${dataset}.json`, png: `transfer-${dataset}.png` };
}

/** Percent with 2 decimals (CSV), or null. */
function pct(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10000) / 100;
}

export function formatPercent(v: number | null, digits = 1): string {
  return v === null ? 'n/a' : `${(100 * v).toFixed(digits)}%`;
}

const ATTACK_TITLES: Record<string, string> = { fgsm: 'FGSM', pgd: 'Linf PGD' };

export function attackTitle(result: TransferExperimentResult): string {
  const steps = result.attack.name === 'pgd' ? `, ${String(result.attack.options.steps)} steps` : '';
  return `${ATTACK_TITLES[result.attack.name] ?? result.attack.name} eps ${Number(result.attack.eps.toPrecision(4))}${steps}`;
}

export function transferCsv(result: TransferExperimentResult): string {
  const header = ['source', ...result.models, 'clean_accuracy', 'attacked', 'successful', 'method'];
  const rows = result.sources.map((s, i) => [
    s.model,
    ...result.matrix[i].map(pct),
    pct(result.cleanAccuracy[result.models.indexOf(s.model)]),
    s.attacked,
    s.successful,
    s.method,
  ]);
  return toCsv(header, rows);
}

export function transferJson(result: TransferExperimentResult): string {
  const { examples: _examples, ...plain } = result;
  return JSON.stringify(plain, null, 2) + '\n';
}

/** Head and rows for `table()`: sources down, targets across, then the source's own success; last row clean accuracy. */
export function transferTable(result: TransferExperimentResult): { head: string[]; rows: string[][] } {
  const head = ['source \\ target', ...result.models, 'fooled source'];
  const rows = result.sources.map((s, i) => [
    s.model,
    ...result.matrix[i].map((v) => formatPercent(v)),
    `${s.successful}/${s.attacked} (${formatPercent(s.successRate, 0)})`,
  ]);
  rows.push(['clean accuracy', ...result.cleanAccuracy.map((v) => formatPercent(v)), '']);
  return { head, rows };
}

export function transferSummary(result: TransferExperimentResult): string[] {
  return [
    `transfer: ${attackTitle(result)} on ${result.dataset} (${result.trainCount} training images, ${result.samples} of ${result.testCount} test images attacked, seed ${result.seed})`,
    "cell = % of the source's successful adversarial examples (correct before, fooling the source after) that the target misclassifies",
  ];
}

export function transferDetails(result: TransferExperimentResult): string[] {
  return result.sources.map((s) => {
    const sub = s.substitute
      ? `; substitute agrees with ${s.model} on ${formatPercent(s.substitute.agreement)} of the samples`
      : '';
    return `${s.model}: ${s.method}${sub}; max Linf ${s.maxLinf.toFixed(4)}`;
  });
}

/** The heatmap's vega-lite spec: sources down, targets across (clean accuracy in the column labels). */
export function transferHeatmapSpec(result: TransferExperimentResult): vl.TopLevelSpec {
  const targetLabel = result.models.map((m, i) => `${m} (${formatPercent(result.cleanAccuracy[i])})`);
  const sourceLabel = result.sources.map((s) => `${s.model} (${s.successful}/${s.attacked})`);
  const values = result.sources.flatMap((_, s) =>
    result.models.map((_t, t) => {
      const rate = result.matrix[s][t];
      return {
        source: sourceLabel[s],
        target: targetLabel[t],
        rate,
        text: rate === null ? 'n/a' : `${Math.round(100 * rate)}%`,
      };
    }),
  );
  const cell = 64;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Transferability on ${result.dataset}: ${attackTitle(result)}`,
      subtitle: "% of the source's successful adversarial examples misclassified by the target",
    },
    width: cell * result.models.length,
    height: cell * result.sources.length,
    data: { values },
    config: {
      font: SVG_FONT_FAMILY,
      view: { stroke: null },
      axis: { labelFontSize: 12, titleFontSize: 12, domain: false, ticks: false },
    },
    encoding: {
      x: {
        field: 'target',
        type: 'nominal',
        sort: targetLabel,
        title: 'target model (clean test accuracy)',
        axis: { orient: 'top', labelAngle: -30, labelAlign: 'left' },
      },
      y: {
        field: 'source',
        type: 'nominal',
        sort: sourceLabel,
        title: 'source model (successful / attacked)',
      },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'rate',
            type: 'quantitative',
            title: 'misclassified',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { format: '.0%' },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 13 },
        encoding: {
          text: { field: 'text', type: 'nominal' },
          color: {
            condition: { test: 'datum.rate !== null && datum.rate > 0.6', value: 'white' },
            value: 'black',
          },
        },
      },
    ],
  } as vl.TopLevelSpec;
}

/** The heatmap as SVG and PNG (rendered at `scale` times the SVG size, default 2). */
export async function transferHeatmap(
  result: TransferExperimentResult,
  scale = 2,
): Promise<{ svg: string; png: Buffer }> {
  return svgAndPng(await vegaLiteToSvg(transferHeatmapSpec(result)), scale);
}
