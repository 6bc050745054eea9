/**
 * The zoo's transfer matrix as `advx experiment transfer-zoo` runs it: the photos (given, or a seeded
 * draw from the ImageNet sample folder) and their classes (from the wnid in their names) checked and the
 * output folder opened before any attack (`prepareTransferZooRun`), then the matrix (transfer-zoo.ts) and
 * `transfer_zoo.csv` (transfer-zoo-writers.ts) in the folder (`run()`). The run owns the models it is
 * given: `run()` disposes them and releases the folder; so does a failed preparation.
 */
import { join } from 'node:path';
import type { Attack } from '../attacks/index.js';
import type { OutputPlace } from '../data/output-folder.js';
import type { Model } from '../models/model.js';
import { writeTextFile } from './csv.js';
import { transferZooProgress } from './experiment-progress.js';
import { openExperimentFolder } from './experiment-folder.js';
import {
  imagenetLabelOfFile,
  sampleImagenetFiles,
  transferZoo,
  type TransferZooResult,
} from './transfer-zoo.js';
import { TRANSFER_CSV_FILE, transferZooCsv } from './transfer-zoo-writers.js';

export interface TransferZooRunRequest {
  /** The models crafted on and evaluated; the run disposes them. */
  models: Model[];
  /** ImageNet photos named after their wnid; none: `images` photos drawn from the sample folder. */
  photos?: readonly string[];
  /** Photos drawn (seeded) from the ImageNet sample folder when none are given. */
  images: number;
  /** Seed of the photo draw. */
  seed: number;
  /** Crafted white-box on each model. */
  attack: Attack;
  /** In units of the bounds. */
  eps: number;
  /** Output folder (default: a new folder under advx-out/). */
  out?: string;
  /** Overwrite the experiment's files in `out`. */
  force?: boolean;
}

export interface TransferZooRun {
  result: TransferZooResult;
  /** The CSV written. */
  csv: string;
}

/** A run with its photos chosen and its folder opened (and locked); `run()` must follow. */
export interface PreparedTransferZooRun {
  readonly photos: readonly string[];
  readonly csv: string;
  run(onProgress?: (done: number, total: number, label: string) => void): Promise<TransferZooRun>;
}

export async function prepareTransferZooRun(request: TransferZooRunRequest): Promise<PreparedTransferZooRun> {
  const { models } = request;
  const disposeModels = () => models.forEach((m) => m.dispose());
  let photos: readonly string[];
  let labels: number[];
  let folder: OutputPlace;
  try {
    photos =
      request.photos !== undefined && request.photos.length > 0
        ? request.photos
        : sampleImagenetFiles(request.images, request.seed);
    labels = photos.map(imagenetLabelOfFile);
    folder = openExperimentFolder(request.out, 'transfer-zoo', [TRANSFER_CSV_FILE], request.force);
  } catch (error) {
    disposeModels();
    throw error;
  }
  const csv = join(folder.shown, TRANSFER_CSV_FILE);
  return {
    photos,
    csv,
    async run(onProgress) {
      try {
        const result = await transferZoo(models, {
          files: photos,
          labels,
          attack: request.attack,
          eps: request.eps,
          onProgress: transferZooProgress(models.length, (done, total, label) =>
            onProgress?.(done, total, label),
          ),
        });
        writeTextFile(csv, transferZooCsv(result), { overwrite: true });
        return { result, csv };
      } finally {
        disposeModels();
        folder.release();
      }
    },
  };
}
