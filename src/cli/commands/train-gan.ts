/**
 * `advx train gan`: trains the DCGAN of train/gan-architecture.ts on Fashion-MNIST, writes sample grids
 * (PNG) while training, checkpoints every epoch (atomically; --resume continues exactly: same weights,
 * Adam states, data order and latent codes as an uninterrupted run) and saves the generator as a tfjs
 * layers model (what `defenses.ganProjection` and `advx experiment robustness --generator` load).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../../data/datasets.js';
import { writePngFile } from '../../data/png.js';
import { saveLayersModel } from '../../models/save-model.js';
import { saveCheckpoint } from '../../train/checkpoint.js';
import { resumeTraining } from '../../train/resume.js';
import { openTrainingFolder, type TrainingFolder } from '../../train/training-folder.js';
import { dcganDiscriminator, dcganGenerator, DEFAULT_LATENT_DIM } from '../../train/gan-architecture.js';
import { latentCodes, sampleGridPng, trainGan, type GanEpochSummary } from '../../train/gan.js';
import { asUsage, UsageError } from '../errors.js';
import { parseInteger, parseNumber } from '../options.js';
import { progressBar } from '../progress.js';

export interface TrainGanFlags {
  epochs?: string;
  batchSize?: string;
  learningRate?: string;
  latentDim?: string;
  seed?: string;
  limit?: string;
  batchesPerEpoch?: string;
  sampleEvery?: string;
  out?: string;
  resume?: boolean;
  keepCheckpoint?: boolean;
  force?: boolean;
}

export interface TrainGanSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  latentDim: number;
  seed: number;
  limit?: number;
  batchesPerEpoch?: number;
  sampleEvery: number;
  out: string;
  resume: boolean;
  keepCheckpoint: boolean;
  force: boolean;
}

export interface TrainGanReport {
  out: string;
  samples: string[];
  history: GanEpochSummary[];
  seconds: number;
  command: string;
}

/** Checks the flags; throws a UsageError naming the bad option. The --out folder is checked by trainGanAction. */
export function parseTrainGanFlags(flags: TrainGanFlags): TrainGanSettings {
  const learningRate = parseNumber(flags.learningRate ?? '0.0002', '--learning-rate');
  if (!(learningRate > 0)) throw new UsageError(`--learning-rate: must be > 0 (got ${flags.learningRate})`);
  if (flags.out === undefined || flags.out.trim() === '')
    throw new UsageError('--out DIR is required (the folder to save the generator in)');
  const out = flags.out;
  const resume = flags.resume === true;
  const force = flags.force === true;
  return {
    epochs: parseInteger(flags.epochs ?? '5', '--epochs', 1),
    batchSize: parseInteger(flags.batchSize ?? '64', '--batch-size', 2),
    learningRate,
    latentDim: parseInteger(flags.latentDim ?? String(DEFAULT_LATENT_DIM), '--latent-dim', 1),
    seed: parseInteger(flags.seed ?? '1', '--seed', 0),
    limit: flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 1),
    batchesPerEpoch:
      flags.batchesPerEpoch === undefined
        ? undefined
        : parseInteger(flags.batchesPerEpoch, '--batches-per-epoch', 1),
    sampleEvery: parseInteger(flags.sampleEvery ?? '200', '--sample-every', 0),
    out,
    resume,
    keepCheckpoint: flags.keepCheckpoint === true,
    force,
  };
}

/** The command line that reproduces a run. */
export function trainGanCommandLine(s: TrainGanSettings): string {
  const parts = [
    'advx train gan',
    `--epochs ${s.epochs}`,
    `--batch-size ${s.batchSize}`,
    `--learning-rate ${s.learningRate}`,
    `--latent-dim ${s.latentDim}`,
    `--seed ${s.seed}`,
  ];
  if (s.limit !== undefined) parts.push(`--limit ${s.limit}`);
  if (s.batchesPerEpoch !== undefined) parts.push(`--batches-per-epoch ${s.batchesPerEpoch}`);
  parts.push(`--out ${s.out}`);
  return parts.join(' ');
}

/** The options that must match for --resume to continue the same run (--epochs may grow). */
function runIdentity(s: TrainGanSettings): Record<string, unknown> {
  return {
    batchSize: s.batchSize,
    learningRate: s.learningRate,
    latentDim: s.latentDim,
    seed: s.seed,
    limit: s.limit ?? null,
    batchesPerEpoch: s.batchesPerEpoch ?? null,
  };
}

const SAMPLE_COLS = 8;
const SAMPLES_FOLDER = 'samples';
const SAMPLES_GRID = 'samples.png';

/**
 * The action of `advx train gan`. Returns what it did; bad options and a bad --out throw UsageError
 * (exit 2) before any work.
 */
export async function trainGanAction(
  flags: TrainGanFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<TrainGanReport> {
  const settings = parseTrainGanFlags(flags);
  const folder = await asUsage(() =>
    openTrainingFolder({
      out: settings.out,
      resume: settings.resume,
      force: settings.force,
      files: [SAMPLES_GRID],
      folders: { [SAMPLES_FOLDER]: 'gan-samples' },
    }),
  );
  try {
    return await trainGanInFolder(settings, folder, out);
  } finally {
    folder.release();
  }
}

async function trainGanInFolder(
  settings: TrainGanSettings,
  folder: TrainingFolder,
  out: (s: string) => void,
): Promise<TrainGanReport> {
  const data: ImageDataset = await asUsage(() => loadFashionMnist('train', settings.limit));
  const backend = await initEngine();
  const dir = folder.dir;
  const checkpointDir = folder.checkpointDir;
  const command = trainGanCommandLine(settings);
  const generator = dcganGenerator(settings.latentDim, settings.seed);
  const discriminator = dcganDiscriminator(settings.seed);
  const optimizers = {
    generator: tf.train.adam(settings.learningRate, 0.5),
    discriminator: tf.train.adam(settings.learningRate, 0.5),
  };
  let startEpoch = 0;
  let history: GanEpochSummary[] = [];
  const fixedCodes = latentCodes(SAMPLE_COLS * SAMPLE_COLS, settings.latentDim, settings.seed + 12345);
  const samples: string[] = [];
  // The grids go into OUT/samples, advx's own folder (checked by openTrainingFolder), the final one to OUT.
  const writeSamples = (name: string) => {
    const file = name === SAMPLES_GRID ? join(dir, name) : join(folder.subfolder(SAMPLES_FOLDER), name);
    writePngFile(file, sampleGridPng(generator, fixedCodes, SAMPLE_COLS), { overwrite: true });
    samples.push(file);
  };
  const bar = progressBar('gan');
  try {
    if (settings.resume) {
      const state = await asUsage(() =>
        resumeTraining(
          checkpointDir,
          runIdentity(settings),
          { nets: { generator, discriminator }, optimizers },
          settings.epochs,
        ),
      );
      startEpoch = state.epoch;
      history = state.history as GanEpochSummary[];
      out(`resuming from epoch ${startEpoch} (${checkpointDir})\n`);
    }
    out(
      `training a DCGAN (latent ${settings.latentDim}) on ${data.count} Fashion-MNIST images (${backend}): ` +
        `${settings.epochs} epochs, batch ${settings.batchSize}, learning rate ${settings.learningRate}, seed ${settings.seed}\n`,
    );
    if (startEpoch === 0) writeSamples('epoch-000.png');
    const result = await trainGan(generator, discriminator, data, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      startEpoch,
      optimizers,
      batchesPerEpoch: settings.batchesPerEpoch,
      onProgress: (p) => {
        bar.update(
          p.batch,
          p.batches,
          `epoch ${p.epoch}/${p.epochs} D ${p.discriminatorLoss.toFixed(3)} G ${p.generatorLoss.toFixed(3)}`,
        );
        if (settings.sampleEvery > 0 && p.batch % settings.sampleEvery === 0 && p.batch !== p.batches) {
          writeSamples(
            `epoch-${String(p.epoch).padStart(3, '0')}-batch-${String(p.batch).padStart(4, '0')}.png`,
          );
        }
      },
      onEpochEnd: async (e, state) => {
        history.push(e);
        writeSamples(`epoch-${String(e.epoch).padStart(3, '0')}.png`);
        await saveCheckpoint(
          checkpointDir,
          { generator, discriminator },
          { ...state },
          {
            epoch: e.epoch,
            options: runIdentity(settings),
            history,
          },
        );
        out(
          `epoch ${e.epoch}/${settings.epochs}: D loss ${e.discriminatorLoss.toFixed(4)}, G loss ${e.generatorLoss.toFixed(4)}, ` +
            `D(real) ${e.realScore.toFixed(3)}, D(G(z)) ${e.fakeScore.toFixed(3)} (${e.seconds.toFixed(1)} s)\n`,
        );
      },
    });
    bar.stop();
    const seconds = history.reduce((sum, e) => sum + e.seconds, 0);
    const saved = await saveLayersModel(generator, dir, {
      overwrite: true,
      metadata: {
        kind: 'generator',
        latentDim: settings.latentDim,
        imageShape: [28, 28, 1],
        bounds: [0, 1],
        dataset: 'fashion-mnist',
        trainImages: data.count,
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        seed: settings.seed,
        trainingSeconds: Math.round(seconds),
        backend,
        trainingCommand: command,
        history,
      },
    });
    writeSamples(SAMPLES_GRID);
    folder.finish(settings.keepCheckpoint);
    out(
      `saved the generator in ${saved.dir} (${(saved.weightBytes / 1e6).toFixed(2)} MB of weights, ${result.seconds.toFixed(0)} s this run)\n`,
    );
    return { out: saved.dir, samples, history, seconds, command };
  } finally {
    bar.stop();
    fixedCodes.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    generator.dispose();
    discriminator.dispose();
  }
}

/** Adds `gan` under the `train` command: `advx train gan ...`. */
export function registerTrainGanCommand(train: Command): void {
  train
    .command('gan')
    .description('train a DCGAN generator for Fashion-MNIST (sample grids as PNG while training; resumable)')
    .option('--epochs <n>', 'passes over the training set', '5')
    .option('--batch-size <n>', 'images per step', '64')
    .option('--learning-rate <lr>', 'Adam learning rate of G and D (beta1 0.5)', '0.0002')
    .option('--latent-dim <n>', 'dimension of the latent code z', String(DEFAULT_LATENT_DIM))
    .option('--seed <s>', 'seed of the initial weights, the shuffling and the latent codes', '1')
    .option('--limit <n>', 'train on the first N training images only (smoke runs)')
    .option('--batches-per-epoch <n>', 'stop each epoch after N batches (smoke runs)')
    .option('--sample-every <n>', 'also write a sample grid every N batches (0: only per epoch)', '200')
    .option(
      '--out <dir>',
      'folder for the generator (model.json, weights.bin), samples/ and checkpoint/ (required)',
    )
    .option('--resume', 'continue the run checkpointed in OUT/checkpoint')
    .option(
      '--keep-checkpoint',
      'keep OUT/checkpoint after the run (default: removed when training completes)',
    )
    .option('--force', 'replace a model already in --out')
    .action(async (flags: TrainGanFlags) => {
      await trainGanAction(flags);
    });
}
