/**
 * The noise sweep as `advx experiment noise-sweep` runs it: the output folder opened before any work
 * (`prepareNoiseSweepRun`), then the sweep (noise-sweep.ts) and `initialization_vals_for_noise.csv` plus
 * a labelled PNG grid per model (noise-sweep-writers.ts) in the folder (`run()`). The run owns the
 * models it is given: `run()` disposes them and releases the folder; so does a failed preparation.
 */
import { join } from 'node:path';
import type { OutputPlace } from '../data/output-folder.js';
import { writePngFile } from '../data/png.js';
import type { Model } from '../models/model.js';
import { writeTextFile } from './csv.js';
import { openExperimentFolder } from './experiment-folder.js';
import { fileSafe } from './file-safe.js';
import { noiseSweep, type NoisePoint, type NoiseSweepResult } from './noise-sweep.js';
import { NOISE_CSV_FILE, noiseGridPng, noiseSweepCsv } from './noise-sweep-writers.js';

/** The PNG grid of `model`'s noise images. */
export function noiseGridFile(model: string): string {
  return `noise-grid-${fileSafe(model)}.png`;
}

export interface NoiseSweepRunRequest {
  /** The models the noise goes through; the run disposes them. */
  models: Model[];
  points: readonly NoisePoint[];
  /** Noise images per point. */
  samples: number;
  /** Predictions kept per noise image. */
  top: number;
  seed: number;
  /** Noise images shown in each model's PNG grid (0: no grid). */
  gridImages: number;
  /** Output folder (default: a new folder under advx-out/). */
  out?: string;
  /** Overwrite the experiment's files in `out`. */
  force?: boolean;
}

/** The paths of the files a run writes. */
export interface NoiseSweepRunFiles {
  csv: string;
  /** Per model name, its PNG grid (none when `gridImages` is 0). */
  grids: Record<string, string>;
}

export interface NoiseSweepRun {
  result: NoiseSweepResult;
  files: NoiseSweepRunFiles;
  /** Rows of the CSV (top-k per noise image). */
  rows: number;
}

/** A run with its folder opened (and locked); `run()` must follow. */
export interface PreparedNoiseSweepRun {
  readonly files: NoiseSweepRunFiles;
  run(onProgress?: (done: number, total: number, label: string) => void): Promise<NoiseSweepRun>;
}

export async function prepareNoiseSweepRun(request: NoiseSweepRunRequest): Promise<PreparedNoiseSweepRun> {
  const { models, gridImages } = request;
  const disposeModels = () => models.forEach((m) => m.dispose());
  const gridNames = gridImages > 0 ? models.map((m) => noiseGridFile(m.name)) : [];
  let folder: OutputPlace;
  try {
    folder = openExperimentFolder(request.out, 'noise-sweep', [NOISE_CSV_FILE, ...gridNames], request.force);
  } catch (error) {
    disposeModels();
    throw error;
  }
  const files: NoiseSweepRunFiles = { csv: join(folder.shown, NOISE_CSV_FILE), grids: {} };
  if (gridImages > 0)
    for (const model of models) files.grids[model.name] = join(folder.shown, noiseGridFile(model.name));
  return {
    files,
    async run(onProgress) {
      try {
        const { points, samples, top, seed } = request;
        const result = await noiseSweep(models, { points, samples, top, seed, onProgress });
        const csv = noiseSweepCsv(result);
        writeTextFile(files.csv, csv, { overwrite: true });
        if (gridImages > 0)
          for (const model of models) {
            const png = await noiseGridPng(model, result, gridImages);
            writePngFile(files.grids[model.name], png, { overwrite: true });
          }
        return { result, files, rows: csv.split('\n').length - 2 };
      } finally {
        disposeModels();
        folder.release();
      }
    },
  };
}
