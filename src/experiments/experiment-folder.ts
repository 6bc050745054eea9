/**
 * The output folder of an experiment, opened before any work (src/data/output-folder.ts): the folder
 * given (`--out`), checked, locked, and refused when one of the experiment's files is there unless
 * `force`; or, when none is given, a new folder under advx-out/ named after the time and the experiment.
 * Throws OutputFolderError (one line) for a place that cannot be used.
 */
import { openFreshOutputFolder, openOutputFolder, type OutputPlace } from '../data/output-folder.js';

/** The folder all experiments put their default output folders in. */
export const EXPERIMENTS_FOLDER = 'advx-out';

/** `20240131-142501`: the time a default output folder is named after. */
export function timeStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Opens `out` (or a new folder for `what`) for files named `files`; release it when the run ends. */
export function openExperimentFolder(
  out: string | undefined,
  what: string,
  files: readonly string[],
  force: boolean | undefined,
): OutputPlace {
  if (out === undefined) return openFreshOutputFolder(EXPERIMENTS_FOLDER, `${timeStamp()}-${what}`);
  return openOutputFolder(out, { files, force: force === true });
}
