/**
 * The progress of an experiment as a whole (done of total, with a label), from the per-part callbacks
 * the experiments give: PGD on noise reports each mode's steps, the transfer zoo each source's batches.
 */
export type OverallProgress = (done: number, total: number, label: string) => void;

/** noisePgd's onProgress over its modes (1 untargeted, 2 with a target), as one count. */
export function noisePgdProgress(
  modes: number,
  report: OverallProgress,
): (label: string, step: number, steps: number) => void {
  let mode = 0;
  let last = '';
  return (label, step, steps) => {
    if (label !== last) {
      if (last !== '') mode++;
      last = label;
    }
    report(mode * steps + step, modes * steps, label);
  };
}

/** transferZoo's onProgress over its source models, in hundredths of a source. */
export function transferZooProgress(
  models: number,
  report: OverallProgress,
): (label: string, done: number, count: number) => void {
  let index = -1;
  let current = '';
  return (label, done, count) => {
    if (label !== current && label.startsWith('crafting')) {
      index++;
      current = label;
    }
    report(Math.round((Math.max(0, index) + done / count) * 100), models * 100, label);
  };
}
