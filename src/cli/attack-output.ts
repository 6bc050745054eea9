/**
 * The text `advx attack` prints (without --json): per image the clean top-k and each run's verdict,
 * top-k and PNGs (the book's Tables 10.1/10.2); for several images, a summary: success per eps, the
 * smallest adversarials' sizes, or the minimal epsilons found.
 */
import { basename } from 'node:path';
import type { AttackedImage, WrittenRun } from '../evaluation/attack-images.js';
import { table, topTable } from './tables.js';

/** The JSON document of `advx attack --json` (DESIGN.md's CLI contract). */
export interface AttackReport {
  model: string;
  attack: Record<string, unknown> & { name: string };
  criterion: string;
  images: AttackedImage<WrittenRun>[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const epsText = (eps: number | null): string => (eps === null ? 'none' : eps.toPrecision(4));

/** The line of one run: at an eps, or (eps null) the smallest adversarial found. */
function runLine(run: WrittenRun): string {
  const queries = run.queries === undefined ? '' : `, ${run.queries} queries`;
  const size = `(linf ${run.linf.toFixed(5)}, l2 ${run.l2.toFixed(4)}${queries})`;
  if (run.eps === null) return `smallest adversarial: ${run.success ? 'SUCCESS' : 'none found'} ${size}`;
  return `adversarial, eps ${epsText(run.eps)}: ${run.success ? 'SUCCESS' : 'failed'} ${size}`;
}

/** With an eps search, the line before the run: the minimal eps found, or none up to the largest tried. */
function searchLine(run: WrittenRun & { search: NonNullable<WrittenRun['search']> }): string {
  return run.search.gridEps === null
    ? `minimal eps: none up to ${epsText(run.eps)} (${run.search.runs} attack runs); the largest tried:`
    : `minimal eps ${epsText(run.eps)} (grid eps ${run.search.gridEps.toPrecision(4)}; fails at ${run.search.failingEps.toPrecision(4)}; ${run.search.runs} attack runs)`;
}

/** Per image, the smallest adversarial's size; and the medians over the images where one was found. */
function minimalSummary(report: AttackReport): string[] {
  const runs = report.images.map((image) => image.runs[0]);
  const found = runs.filter((run) => run.success);
  const rows = report.images.map((image, n) => [
    basename(image.file),
    runs[n].success ? 'yes' : 'no',
    runs[n].success ? runs[n].l2.toFixed(4) : '-',
    runs[n].success ? runs[n].linf.toFixed(5) : '-',
  ]);
  const medians =
    found.length === 0
      ? ''
      : `, median l2 ${median(found.map((r) => r.l2)).toFixed(4)}, median linf ${median(found.map((r) => r.linf)).toFixed(5)}`;
  return [
    '',
    table(['image', 'adversarial', 'l2', 'linf'], rows),
    `smallest adversarial found for ${found.length}/${runs.length} images${medians}`,
  ];
}

/** The summary over several images: minimal eps found, smallest adversarials, or success per eps. */
function summary(report: AttackReport, first: WrittenRun): string[] {
  if (first.search !== undefined) {
    const found = report.images.filter((im) => im.runs[0].success).map((im) => im.runs[0].eps ?? 0);
    return [
      '',
      `minimal eps found for ${found.length}/${report.images.length} images${found.length > 0 ? `, median ${median(found).toPrecision(4)}` : ''}`,
    ];
  }
  if (first.eps === null) return minimalSummary(report);
  const rates = report.images[0].runs.map((run, e) => {
    const wins = report.images.filter((im) => im.runs[e].success).length;
    return [epsText(run.eps), `${wins}/${report.images.length}`];
  });
  return ['', table(['eps', 'success'], rates)];
}

export function renderAttackReport(report: AttackReport): string {
  const lines: string[] = [
    `model ${report.model}, attack ${report.attack.name}, criterion: ${report.criterion}`,
  ];
  for (const image of report.images) {
    lines.push(
      '',
      `${image.file}  label: ${image.label.name} (${image.label.index})`,
      'clean',
      topTable(image.clean.top),
    );
    for (const run of image.runs) {
      if (run.search !== undefined) lines.push(searchLine({ ...run, search: run.search }));
      lines.push(
        runLine(run),
        topTable(run.top),
        `  ${run.adversarial}`,
        `  ${run.perturbation} (magnified x${run.magnification.toFixed(0)})`,
      );
    }
  }
  const first = report.images[0]?.runs[0];
  if (first !== undefined && report.images.length >= 2) lines.push(...summary(report, first));
  return lines.join('\n') + '\n';
}
