/**
 * PGD on noise as `advx experiment noise-pgd` runs it: the output folder opened before any work
 * (`prepareNoisePgdRun`), then, model after model, PGD on the sweep's noise images (noise-pgd.ts) and the
 * model's labelled PNG panel, and at the end `noise_pgd.csv` for all models (noise-pgd-writers.ts), in
 * the folder (`run()`). The run owns the models it is given: `run()` disposes each when its part is done
 * and releases the folder; a failed preparation disposes them too.
 */
import { join } from 'node:path';
import type { OutputPlace } from '../data/output-folder.js';
import { writePngFile } from '../data/png.js';
import type { Model } from '../models/model.js';
import { writeTextFile } from './csv.js';
import { noisePgdProgress } from './experiment-progress.js';
import { openExperimentFolder } from './experiment-folder.js';
import { fileSafe } from './file-safe.js';
import { noisePgd, type NoisePgdResult } from './noise-pgd.js';
import { NOISE_PGD_CSV_FILE, noisePgdCsv, noisePgdPanelPng } from './noise-pgd-writers.js';
import type { NoisePoint } from './noise-sweep.js';

/** The PNG panel of `model`'s noise images before and after PGD. */
export function noisePgdPanelFile(model: string): string {
  return `noise-pgd-${fileSafe(model)}.png`;
}

/** One model and its attack settings (in its own bounds and labels). */
export interface NoisePgdModelRun {
  /** The run disposes it. */
  model: Model;
  /** Linf radius in units of the model's bounds. */
  eps: number;
  /** Step size relative to eps (default: noisePgd's 2.5 / steps). */
  relStepsize?: number;
  /** Target class of the targeted run; none: untargeted only. */
  target?: number;
}

export interface NoisePgdRunRequest {
  models: NoisePgdModelRun[];
  points: readonly NoisePoint[];
  /** Noise images per point. */
  samples: number;
  /** Seed of the noise (the sweep's seed gives the sweep's images) and of PGD's random start. */
  seed: number;
  steps: number;
  /** Rows of each model's PNG panel (0: no panel). */
  panelRows: number;
  /** Output folder (default: a new folder under advx-out/). */
  out?: string;
  /** Overwrite the experiment's files in `out`. */
  force?: boolean;
}

/** The paths of the files a run writes. */
export interface NoisePgdRunFiles {
  csv: string;
  /** One PNG panel per model, in the models' order (none when `panelRows` is 0). */
  panels: string[];
}

export interface NoisePgdRun {
  /** One result per model, in the models' order. */
  results: NoisePgdResult[];
  files: NoisePgdRunFiles;
}

/** Progress of one model's part: done of total steps (over its modes), with the mode as label. */
export interface NoisePgdRunProgress {
  model: string;
  done: number;
  total: number;
  label: string;
}

/** A run with its folder opened (and locked); `run()` must follow. */
export interface PreparedNoisePgdRun {
  readonly files: NoisePgdRunFiles;
  run(onProgress?: (progress: NoisePgdRunProgress) => void): Promise<NoisePgdRun>;
}

export async function prepareNoisePgdRun(request: NoisePgdRunRequest): Promise<PreparedNoisePgdRun> {
  const { panelRows } = request;
  const left = request.models.map((m) => m.model);
  const disposeModels = () => left.splice(0).forEach((m) => m.dispose());
  const panelNames = panelRows > 0 ? request.models.map((m) => noisePgdPanelFile(m.model.name)) : [];
  let folder: OutputPlace;
  try {
    folder = openExperimentFolder(
      request.out,
      'noise-pgd',
      [NOISE_PGD_CSV_FILE, ...panelNames],
      request.force,
    );
  } catch (error) {
    disposeModels();
    throw error;
  }
  const files: NoisePgdRunFiles = {
    csv: join(folder.shown, NOISE_PGD_CSV_FILE),
    panels: panelNames.map((name) => join(folder.shown, name)),
  };
  return {
    files,
    async run(onProgress) {
      try {
        const results: NoisePgdResult[] = [];
        for (const [i, { model, eps, relStepsize, target }] of request.models.entries()) {
          const { points, samples, seed, steps } = request;
          const progress = noisePgdProgress(target === undefined ? 1 : 2, (done, total, label) =>
            onProgress?.({ model: model.name, done, total, label }),
          );
          const result = await noisePgd(model, {
            points,
            samples,
            seed,
            eps,
            steps,
            relStepsize,
            target,
            onProgress: progress,
          });
          results.push(result);
          if (panelRows > 0)
            writePngFile(files.panels[i], noisePgdPanelPng(result, panelRows), { overwrite: true });
          left.splice(left.indexOf(model), 1);
          model.dispose();
        }
        writeTextFile(files.csv, noisePgdCsv(results), { overwrite: true });
        return { results, files };
      } finally {
        disposeModels();
        folder.release();
      }
    },
  };
}
