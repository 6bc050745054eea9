/**
 * `--eps-search START:STOP:STEP`, the grid of a minimal-epsilon search (`advx attack --eps-search`, the
 * report's FGSM section): the default grid is in units of the bounds' range (1/255 .. 32/255 of it);
 * any other grid is in units of the bounds.
 */
import type { Bounds } from '../models/model.js';
import { UsageError } from './errors.js';
import { parseEpsilons, parseRange } from './options.js';

/** The default grid: 1/255 .. 32/255 of the bounds' range, by 1/255. */
export const DEFAULT_EPS_GRID = '1/255:32/255:1/255';

/** The grid's epsilons for a model of these bounds (the default grid scaled to their range). */
export function epsGridOf(text: string, bounds: Bounds): number[] {
  const scale = text === DEFAULT_EPS_GRID ? bounds[1] - bounds[0] : 1;
  return parseRange(text, '--eps-search').map((e) => e * scale);
}

/** The grid, checked: every epsilon > 0 and within the bounds' range. */
export function parseEpsGrid(text: string, bounds: Bounds): number[] {
  const grid = epsGridOf(text, bounds);
  parseEpsilons(grid.join(','), bounds, '--eps-search');
  if (grid.some((e) => e <= 0)) throw new UsageError(`--eps-search: epsilons must be > 0 (got ${text})`);
  return grid;
}
