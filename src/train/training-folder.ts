/**
 * The `--out` folder of a training run (`advx train`, `advx train gan`), checked and locked before any
 * work: a bad place, a model or outputs already there (without --force), a `checkpoint/` folder advx did
 * not make, or an interrupted run's checkpoint (without --resume or --force) stop the run with one line.
 * advx only ever deletes its own checkpoint, and only once the run it belongs to is finished or the user
 * asked to start over (--force).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { advxFolderKind, ensureAdvxFolder } from '../data/advx-folder.js';
import { openOutputFolder, type OutputPlace } from '../data/output-folder.js';
import { modelExistsIn } from '../models/save-model.js';
import { inspectCheckpointFolder, removeCheckpoint } from './checkpoint.js';

/** The checkpoint folder inside a training run's --out. */
export const CHECKPOINT_FOLDER = 'checkpoint';

/** A reason not to train into this folder (a user-facing, one-line message). */
export class TrainingFolderError extends Error {}

export interface TrainingFolderOptions {
  /** --out as given. */
  out: string;
  resume: boolean;
  force: boolean;
  /** Files besides model.json/weights.bin the run writes in --out (e.g. samples.png). */
  files?: readonly string[];
  /** Sub-folders the run fills, by name, with the kind of advx folder each is (e.g. samples: 'gan-samples'). */
  folders?: Readonly<Record<string, string>>;
}

export interface TrainingFolder {
  /** --out, absolute. */
  readonly dir: string;
  readonly checkpointDir: string;
  /** Epochs done in the checkpoint to resume from (resume only; else 0). */
  readonly resumeEpoch: number;
  /** The sub-folder `name` (one of options.folders), created and marked as advx's on first use. */
  subfolder(name: string): string;
  /** The run completed: removes its checkpoint (unless kept) and releases the folder. */
  finish(keepCheckpoint: boolean): void;
  /** Releases the folder (the lock; folders this run created and left empty are removed). Idempotent. */
  release(): void;
}

/** Epochs to resume from (0: a new run); throws when the checkpoint folder forbids this run. */
function checkCheckpoint(checkpointDir: string, options: TrainingFolderOptions): number {
  const found = inspectCheckpointFolder(checkpointDir);
  if (found.kind === 'foreign') {
    const what = found.reason === 'file' ? 'is a file' : 'exists and was not made by advx';
    throw new TrainingFolderError(
      `--out: ${checkpointDir} ${what}; advx keeps its checkpoints there and will not overwrite or delete it: move it away or choose another --out`,
    );
  }
  const epoch = found.kind === 'advx' ? found.epoch : null;
  if (options.resume) {
    if (epoch === null)
      throw new TrainingFolderError(`--resume: no checkpoint in ${checkpointDir} to resume from`);
    return epoch;
  }
  if (epoch !== null && !options.force) {
    throw new TrainingFolderError(
      `--out: ${checkpointDir} holds the checkpoint of an interrupted or earlier run (${epoch} epoch${epoch === 1 ? '' : 's'} done); ` +
        'pass --resume to continue it, or --force to discard it and start over',
    );
  }
  return 0;
}

function checkOutputs(dir: string, options: TrainingFolderOptions): void {
  if (!options.force && !options.resume) {
    if (modelExistsIn(dir))
      throw new TrainingFolderError(`--out: ${dir} already holds a model; pass --force to replace it`);
    const existing = (options.files ?? []).map((f) => join(dir, f)).find((p) => existsSync(p));
    if (existing !== undefined)
      throw new TrainingFolderError(
        `${existing} exists; refusing to overwrite it (use --force or another --out)`,
      );
  }
  for (const [name, kind] of Object.entries(options.folders ?? {})) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    if (advxFolderKind(path) !== kind) {
      throw new TrainingFolderError(
        `--out: ${path} exists and was not made by advx; advx will not write into it: move it away or choose another --out`,
      );
    }
    if (!options.force && !options.resume)
      throw new TrainingFolderError(
        `--out: ${path} holds the outputs of an earlier run; pass --force to replace them`,
      );
  }
}

/**
 * Opens `options.out` for a training run: creates it, takes its lock (so no other run writes there
 * meanwhile), and checks what is already in it (see the file comment). Throws OutputFolderError or
 * TrainingFolderError (one line each).
 */
export function openTrainingFolder(options: TrainingFolderOptions): TrainingFolder {
  const place: OutputPlace = openOutputFolder(options.out);
  const dir = place.path;
  const checkpointDir = join(dir, CHECKPOINT_FOLDER);
  let resumeEpoch: number;
  try {
    resumeEpoch = checkCheckpoint(checkpointDir, options);
    checkOutputs(dir, options);
    // A new run: advx's checkpoint folder, if any, holds nothing to keep (no finished epoch, or --force).
    if (!options.resume) removeCheckpoint(checkpointDir);
  } catch (error) {
    place.release();
    throw error;
  }
  return {
    dir,
    checkpointDir,
    resumeEpoch,
    subfolder(name) {
      const kind = options.folders?.[name];
      if (kind === undefined) throw new Error(`training folder: '${name}' is not one of the run's folders`);
      const path = join(dir, name);
      ensureAdvxFolder(path, kind);
      return path;
    },
    finish(keepCheckpoint) {
      if (!keepCheckpoint) removeCheckpoint(checkpointDir);
      place.release();
    },
    release: () => place.release(),
  };
}
