/**
 * `advx train gan`: parses the options, runs the GAN training of train/gan-training.ts (one call) and
 * prints its progress. Registered under `advx train` by the command table.
 */
import type { Command } from 'commander';
import { DEFAULT_LATENT_DIM } from '../../train/gan-architecture.js';
import {
  runGanTraining,
  type GanTrainingReport,
  type GanTrainingSettings,
} from '../../train/gan-training.js';
import { UsageError } from '../errors.js';
import { asUsageErrors } from '../library-errors.js';
import { parseInteger, parseNumber } from '../options.js';
import { progressBar, type Progress } from '../progress.js';

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

/** Checks the flags; throws a UsageError naming the bad option. The --out folder is checked by trainGanAction. */
export function parseTrainGanFlags(flags: TrainGanFlags): GanTrainingSettings {
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

/**
 * The action of `advx train gan`. Returns what it did; bad options and a bad --out throw UsageError
 * (exit 2) before any work.
 */
export async function trainGanAction(
  flags: TrainGanFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<GanTrainingReport> {
  const settings = parseTrainGanFlags(flags);
  let bar: Progress | undefined;
  try {
    return await asUsageErrors(() =>
      runGanTraining(settings, {
        onResume: (epoch, dir) => out(`resuming from epoch ${epoch} (${dir})\n`),
        onStart: ({ trainImages, backend }) => {
          bar = progressBar('gan');
          out(
            `training a DCGAN (latent ${settings.latentDim}) on ${trainImages} Fashion-MNIST images (${backend}): ` +
              `${settings.epochs} epochs, batch ${settings.batchSize}, learning rate ${settings.learningRate}, seed ${settings.seed}\n`,
          );
        },
        onProgress: (p) =>
          bar?.update(
            p.batch,
            p.batches,
            `epoch ${p.epoch}/${p.epochs} D ${p.discriminatorLoss.toFixed(3)} G ${p.generatorLoss.toFixed(3)}`,
          ),
        onEpoch: (e) =>
          out(
            `epoch ${e.epoch}/${settings.epochs}: D loss ${e.discriminatorLoss.toFixed(4)}, G loss ${e.generatorLoss.toFixed(4)}, ` +
              `D(real) ${e.realScore.toFixed(3)}, D(G(z)) ${e.fakeScore.toFixed(3)} (${e.seconds.toFixed(1)} s)\n`,
          ),
        onSaved: (saved) => {
          bar?.stop();
          out(
            `saved the generator in ${saved.dir} (${(saved.weightBytes / 1e6).toFixed(2)} MB of weights, ${saved.seconds.toFixed(0)} s this run)\n`,
          );
        },
      }),
    );
  } finally {
    bar?.stop();
  }
}

/** Adds `gan` under the program's `train` command (registered before it): `advx train gan ...`. */
export function registerTrainGanCommand(program: Command): void {
  const train = program.commands.find((c) => c.name() === 'train');
  if (train === undefined) throw new Error('advx train gan: register the train command first');
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
