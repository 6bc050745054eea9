/** What `advx experiment robustness` prints without --json: the protocol, the table and the files. */
import type { RobustnessRun } from '../experiments/robustness-run.js';
import { robustnessTable } from '../experiments/robustness-writers.js';
import { table } from './tables.js';

export function renderRobustnessRun(
  { result, csv, png }: RobustnessRun,
  run: { images: number; projection: boolean; projectionImages: number },
): string {
  const settings = result.settings;
  const { head, rows } = robustnessTable(result);
  const projected = run.projection
    ? ` (projection defense: first ${Math.min(run.projectionImages, run.images)})`
    : '';
  const projection = run.projection
    ? `; projection L=${settings.projection.steps}, R=${settings.projection.restarts}, lr ${settings.projection.lr}; EOT over ${settings.eotSamples}; latent-space ${settings.latentSteps ?? 200} steps`
    : '';
  return (
    `robust accuracy on the first ${run.images} Fashion-MNIST test images${projected}; ` +
    `PGD ${settings.steps} steps of ${settings.relStepsize} eps, random start, ${settings.restarts} restart${settings.restarts > 1 ? 's' : ''}${projection}\n` +
    `${table(head, rows)}\n${csv}\n${png}\n`
  );
}
