/**
 * `advx train`: trains the small Fashion-MNIST CNN (the embedded default model) and saves it as a tfjs
 * layers model folder that `--model DIR` (and the zoo entry `fashion-mnist-cnn`) loads.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { loadFashionMnist, type ImageDataset } from '../../data/datasets.js';
import { fashionMnistCnn } from '../../train/architectures.js';
import { trainClassifier, type EpochSummary } from '../../train/train-classifier.js';
import { modelExistsIn, saveLayersModel } from '../../models/save-model.js';
import { UsageError } from '../errors.js';
import { parseInteger, parseNumber } from '../options.js';
import { progressBar, type Progress } from '../progress.js';

export const TRAIN_DATASETS = ['fashion-mnist'] as const;
export type TrainDataset = (typeof TRAIN_DATASETS)[number];

/** The options as commander hands them over (strings). */
export interface TrainFlags {
  dataset?: string;
  epochs?: string;
  batchSize?: string;
  learningRate?: string;
  seed?: string;
  limit?: string;
  out?: string;
  force?: boolean;
}

export interface TrainSettings {
  dataset: TrainDataset;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  limit?: number;
  /** --out as given (recorded in the training command). */
  out: string;
  force: boolean;
}

export interface TrainReport {
  out: string;
  testAccuracy: number;
  testImages: number;
  trainImages: number;
  seconds: number;
  history: EpochSummary[];
  command: string;
}

/** Checks the flags; throws a UsageError naming the bad option. Refuses an --out holding a model without --force. */
export function parseTrainFlags(flags: TrainFlags): TrainSettings {
  const dataset = flags.dataset ?? 'fashion-mnist';
  if (!(TRAIN_DATASETS as readonly string[]).includes(dataset)) {
    throw new UsageError(
      `--dataset: unknown data set '${dataset}' (available: ${TRAIN_DATASETS.join(', ')})`,
    );
  }
  const learningRate = parseNumber(flags.learningRate ?? '0.001', '--learning-rate');
  if (!(learningRate > 0)) throw new UsageError(`--learning-rate: must be > 0 (got ${flags.learningRate})`);
  if (flags.out === undefined || flags.out.trim() === '')
    throw new UsageError('--out DIR is required (the folder to save the model in)');
  const force = flags.force === true;
  let exists: boolean;
  try {
    exists = modelExistsIn(resolve(flags.out));
  } catch (error) {
    throw new UsageError(`--out: ${(error as Error).message}`);
  }
  if (exists && !force)
    throw new UsageError(`--out: ${resolve(flags.out)} already holds a model; pass --force to replace it`);
  return {
    dataset: dataset as TrainDataset,
    epochs: parseInteger(flags.epochs ?? '5', '--epochs', 1),
    batchSize: parseInteger(flags.batchSize ?? '64', '--batch-size', 1),
    learningRate,
    seed: parseInteger(flags.seed ?? '1', '--seed', 0),
    limit: flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 1),
    out: flags.out,
    force,
  };
}

/** The command line that reproduces a run (recorded in model.json). */
export function trainCommandLine(s: TrainSettings): string {
  const parts = [
    'advx train',
    `--dataset ${s.dataset}`,
    `--epochs ${s.epochs}`,
    `--batch-size ${s.batchSize}`,
  ];
  parts.push(`--learning-rate ${s.learningRate}`, `--seed ${s.seed}`);
  if (s.limit !== undefined) parts.push(`--limit ${s.limit}`);
  parts.push(`--out ${s.out}`);
  return parts.join(' ');
}

function loadData(s: TrainSettings): { train: ImageDataset; test: ImageDataset } {
  try {
    return { train: loadFashionMnist('train', s.limit), test: loadFashionMnist('test') };
  } catch (error) {
    throw new UsageError(`--dataset ${s.dataset}: ${(error as Error).message}`);
  }
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * The action of `advx train` (callable without spawning a process): trains, prints one line per epoch
 * with the test accuracy, saves the model. Bad options and a missing data set throw a UsageError (exit 2).
 */
export async function trainAction(
  flags: TrainFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<TrainReport> {
  const settings = parseTrainFlags(flags);
  const data = loadData(settings);
  const backend = await initEngine();
  const command = trainCommandLine(settings);
  out(
    `training fashion-mnist-cnn on ${data.train.count} ${settings.dataset} images (${backend}): ${settings.epochs} epochs, ` +
      `batch ${settings.batchSize}, learning rate ${settings.learningRate}, seed ${settings.seed}\n`,
  );
  const model = fashionMnistCnn(settings.seed);
  let bar: Progress | null = null;
  try {
    const result = await trainClassifier(model, data, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      onProgress: (p) => {
        bar ??= progressBar(`epoch ${p.epoch}/${p.epochs}`);
        bar.update(p.batch, p.batches, `loss ${p.loss.toFixed(4)}`);
        if (p.batch === p.batches) {
          bar.stop();
          bar = null;
        }
      },
      onEpochEnd: (e) => {
        out(
          `epoch ${e.epoch}/${settings.epochs}: loss ${e.loss.toFixed(4)}, train accuracy ${percent(e.trainAccuracy)}, ` +
            `test accuracy ${percent(e.testAccuracy)} (${e.seconds.toFixed(1)} s)\n`,
        );
      },
    });
    const saved = await saveLayersModel(model, settings.out, {
      overwrite: settings.force,
      metadata: {
        architecture: 'fashion-mnist-cnn',
        labels: data.train.classNames,
        dataset: settings.dataset,
        testAccuracy: result.testAccuracy,
        testImages: data.test.count,
        trainImages: data.train.count,
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        seed: settings.seed,
        trainingSeconds: Math.round(result.seconds),
        backend,
        trainingCommand: command,
      },
    });
    out(
      `saved ${saved.dir} (test accuracy ${percent(result.testAccuracy)} on ${data.test.count} images, ` +
        `${(saved.weightBytes / 1e6).toFixed(2)} MB of weights, ${result.seconds.toFixed(0)} s)\n`,
    );
    return {
      out: saved.dir,
      testAccuracy: result.testAccuracy,
      testImages: data.test.count,
      trainImages: data.train.count,
      seconds: result.seconds,
      history: result.history,
      command,
    };
  } finally {
    (bar as Progress | null)?.stop();
    model.dispose();
  }
}

/** Adds `advx train` to the program. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'train the small Fashion-MNIST CNN (the embedded default model) and save it as a tfjs layers model',
    )
    .option('--dataset <name>', `training data (${TRAIN_DATASETS.join(', ')})`, 'fashion-mnist')
    .option('--epochs <n>', 'passes over the training set', '5')
    .option('--batch-size <n>', 'images per optimizer step', '64')
    .option('--learning-rate <lr>', 'Adam learning rate', '0.001')
    .option('--seed <s>', 'seed of the initial weights and of the shuffling', '1')
    .option('--limit <n>', 'train on the first N training images only (smoke runs)')
    .option('--out <dir>', 'folder to save model.json and weights.bin in (required)')
    .option('--force', 'replace a model already in --out')
    .action(async (flags: TrainFlags) => {
      await trainAction(flags);
    });
}
