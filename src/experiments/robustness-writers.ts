/** Outputs of the robustness experiment: CSV, the robust-accuracy-vs-eps plot (SVG + PNG), a console table. */
import { lineChartPng, type LinePoint } from '../report/plot.js';
import { toCsv } from './csv.js';
import type { RobustnessResult, RobustnessRow } from './robustness.js';

export const ROBUSTNESS_CSV_FILE = 'robustness.csv';
export const ROBUSTNESS_PNG_FILE = 'robustness.png';
export const ROBUSTNESS_SVG_FILE = 'robustness.svg';

export const ROBUSTNESS_CSV_COLUMNS = [
  'model',
  'defense',
  'attack',
  'eps',
  'images',
  'robust_accuracy',
  'restarts',
  'steps',
  'step_size',
  'seconds',
] as const;

export function robustnessCsv(result: RobustnessResult): string {
  return toCsv(
    ROBUSTNESS_CSV_COLUMNS,
    result.rows.map((r) => [
      r.model,
      r.defense,
      r.attack,
      r.eps,
      r.images,
      r.robustAccuracy,
      r.restarts,
      r.steps,
      r.stepSize,
      Number(r.seconds.toFixed(2)),
    ]),
  );
}

export function seriesName(row: Pick<RobustnessRow, 'model' | 'attack'>): string {
  return `${row.model} / ${row.attack}`;
}

/** Series in first-seen order, with their rows. */
function seriesOf(rows: readonly RobustnessRow[]): Map<string, RobustnessRow[]> {
  const out = new Map<string, RobustnessRow[]>();
  for (const r of rows) {
    const key = seriesName(r);
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}

/** Head and rows for `table()`: one row per (model, attack), one column per eps, robust accuracy in %. */
export function robustnessTable(result: RobustnessResult): { head: string[]; rows: string[][] } {
  const epsilons = [...new Set(result.rows.map((r) => r.eps))].sort((a, b) => a - b);
  const head = ['model', 'attack', 'images', ...epsilons.map((e) => `eps ${e}`)];
  const rows = [...seriesOf(result.rows).values()].map((rs) => {
    const byEps = new Map(rs.map((r) => [r.eps, r.robustAccuracy]));
    return [
      rs[0].model,
      rs[0].restarts > 1 ? `${rs[0].attack} (${rs[0].restarts} restarts)` : rs[0].attack,
      String(rs[0].images),
      ...epsilons.map((e) => (byEps.has(e) ? `${(100 * (byEps.get(e) as number)).toFixed(1)}%` : '')),
    ];
  });
  return { head, rows };
}

/** The plot: robust accuracy against eps, one line per (model, attack); adaptive attacks dashed. */
export async function robustnessPlot(result: RobustnessResult): Promise<{ svg: string; png: Buffer }> {
  const points: LinePoint[] = result.rows.map((r) => ({
    series: seriesName(r),
    x: r.eps,
    y: r.robustAccuracy,
  }));
  const dashed = [...seriesOf(result.rows).keys()].filter((k) => k.includes('bpda') || k.includes('latent'));
  return lineChartPng(points, {
    title: 'Fashion-MNIST: robust accuracy vs Linf epsilon',
    xTitle: 'epsilon (Linf, pixels in [0,1])',
    yTitle: 'robust accuracy',
    yDomain: [0, 1],
    yPercent: true,
    dashed,
  });
}
