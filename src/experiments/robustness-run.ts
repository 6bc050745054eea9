/**
 * The robustness experiment as `advx experiment robustness` runs it: the first N Fashion-MNIST test
 * images, the natural classifier (and the adversarially trained one, and the GAN projection defense when
 * given) loaded and the output folder opened before any attack (`prepareRobustnessRun`); then the curves
 * (robustness.ts) and `robustness.{csv,svg,png}` (robustness-writers.ts) in the folder (`run()`).
 * `run()` disposes the models, the generator and the images, and releases the folder; so does a failed
 * preparation.
 */
import { join } from 'node:path';
import { loadFashionMnist } from '../data/datasets.js';
import { writePngFile } from '../data/png.js';
import type { OutputPlace } from '../data/output-folder.js';
import type { tf, Tensor4D } from '../engine/tf.js';
import { loadModel } from '../models/load.js';
import type { Model } from '../models/model.js';
import { loadGenerator } from '../train/gan.js';
import { gatherImages } from '../train/train-classifier.js';
import { writeTextFile } from './csv.js';
import { openExperimentFolder } from './experiment-folder.js';
import {
  robustnessExperiment,
  type RobustnessClassifier,
  type RobustnessResult,
  type RobustnessSettings,
} from './robustness.js';
import {
  ROBUSTNESS_CSV_FILE,
  ROBUSTNESS_PNG_FILE,
  ROBUSTNESS_SVG_FILE,
  robustnessCsv,
  robustnessPlot,
} from './robustness-writers.js';

export interface RobustnessRunRequest {
  /** The naturally trained classifier (also the one behind the projection): a model spec. */
  model: string;
  /** The adversarially trained classifier (none: left out). */
  robustModel?: string;
  /** The generator's folder or model.json for the projection defense (none: left out). */
  generator?: string;
  /** The first N Fashion-MNIST test images. */
  images: number;
  /** The first N of those for the projection defense. */
  projectionImages: number;
  settings: RobustnessSettings;
  /** Output folder (default: a new folder under advx-out/). */
  out?: string;
  /** Overwrite the experiment's files in `out`. */
  force?: boolean;
}

export interface RobustnessRun {
  result: RobustnessResult;
  csv: string;
  png: string;
  svg: string;
}

/** A run with its models and images loaded and its folder opened; `run()` must follow. */
export interface PreparedRobustnessRun {
  /** The images evaluated (the test set may hold fewer than asked). */
  readonly images: number;
  /** Whether the projection defense is evaluated. */
  readonly projection: boolean;
  run(onProgress?: (label: string, done: number, total: number) => void): Promise<RobustnessRun>;
}

export async function prepareRobustnessRun(request: RobustnessRunRequest): Promise<PreparedRobustnessRun> {
  const data = loadFashionMnist('test', request.images);
  const place = openExperimentFolder(
    request.out,
    'robustness',
    [ROBUSTNESS_CSV_FILE, ROBUSTNESS_PNG_FILE, ROBUSTNESS_SVG_FILE],
    request.force,
  );
  const held: Held = { place, models: [], generator: null, x: null };
  try {
    const x = gatherImages(
      data,
      Array.from({ length: data.count }, (_, i) => i),
    );
    held.x = x;
    const natural = await loadModel(request.model);
    held.models.push(natural);
    const classifiers: RobustnessClassifier[] = [{ label: natural.name, model: natural, defense: 'none' }];
    if (request.robustModel !== undefined) {
      const robust = await loadModel(request.robustModel);
      held.models.push(robust);
      classifiers.push({ label: robust.name, model: robust, defense: 'adversarial-training' });
    }
    if (request.generator !== undefined) held.generator = await loadGenerator(request.generator);
    const { generator } = held;
    return {
      images: data.count,
      projection: generator !== null,
      async run(onProgress) {
        try {
          const result = await robustnessExperiment({
            classifiers,
            projection: generator === null ? undefined : { generator, classifier: classifiers[0] },
            x,
            labels: Array.from(data.labels),
            projectionImages: request.projectionImages,
            settings: request.settings,
            onProgress,
          });
          return await writeRobustnessFiles(result, place.shown);
        } finally {
          release(held);
        }
      },
    };
  } catch (error) {
    release(held);
    throw error;
  }
}

/** What a prepared run holds until it ends. */
interface Held {
  place: OutputPlace;
  models: Model[];
  generator: tf.LayersModel | null;
  x: Tensor4D | null;
}

function release(held: Held): void {
  held.x?.dispose();
  held.models.forEach((m) => m.dispose());
  held.generator?.dispose();
  held.place.release();
}

async function writeRobustnessFiles(result: RobustnessResult, folder: string): Promise<RobustnessRun> {
  const csv = join(folder, ROBUSTNESS_CSV_FILE);
  const png = join(folder, ROBUSTNESS_PNG_FILE);
  const svg = join(folder, ROBUSTNESS_SVG_FILE);
  writeTextFile(csv, robustnessCsv(result), { overwrite: true });
  const plot = await robustnessPlot(result);
  writeTextFile(svg, plot.svg, { overwrite: true });
  writePngFile(png, plot.png, { overwrite: true });
  return { result, csv, png, svg };
}
