/**
 * `advx train`: trains the small Fashion-MNIST CNN (the embedded default model) and saves it as a tfjs
 * layers model folder that `--model DIR` (and the zoo entry `fashion-mnist-cnn`) loads.
 *
 * Adversarial training: `--adversarial pgd|fgsm --eps E --steps N --step-size A` (Madry et al. PGD, or
 * fast FGSM with a random start), optionally `--clean-fraction F`, `--arch fashion-mnist-cnn-wide` and
 * `--init DIR` (start from a saved model's weights). Every run checkpoints each epoch in OUT/checkpoint
 * (replaced atomically: a kill at any moment loses no finished epoch) and `--resume` continues an
 * interrupted run exactly: the same weights, optimizer state (Adam's moments and running powers), data
 * order and adversarial-example seeds as a run that was never interrupted, so the final weights are
 * bit-identical. `advx train gan` trains the GAN (train-gan.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { tf, type Tensor4D } from '../../engine/tf.js';
import { loadFashionMnist, type ImageDataset } from '../../data/datasets.js';
import { fashionMnistCnn } from '../../train/architectures.js';
import { fashionMnistCnnWide } from '../../train/wide-cnn.js';
import { gatherImages, trainClassifier, type EpochSummary } from '../../train/train-classifier.js';
import { copyWeights, saveCheckpoint } from '../../train/checkpoint.js';
import { resumeTraining } from '../../train/resume.js';
import { openTrainingFolder, type TrainingFolder } from '../../train/training-folder.js';
import { saveLayersModel } from '../../models/save-model.js';
import { loadNetwork } from '../../models/model-files.js';
import {
  ADVERSARIAL_METHODS,
  adversarialTraining,
  asAttackModel,
  resolveAdversarialTraining,
  type AdversarialMethod,
  type ResolvedAdversarialTraining,
} from '../../defenses/adversarial-training.js';
import { pgdRobustness } from '../../defenses/evaluation.js';
import { trainVat } from '../../defenses/vat.js';
import { asUsage, UsageError } from '../errors.js';
import { parseInteger, parseNumber } from '../options.js';
import { progressBar, type Progress } from '../progress.js';
import { registerTrainGanCommand } from './train-gan.js';

export const TRAIN_DATASETS = ['fashion-mnist'] as const;
export type TrainDataset = (typeof TRAIN_DATASETS)[number];

export const TRAIN_ARCHITECTURES = {
  'fashion-mnist-cnn': fashionMnistCnn,
  'fashion-mnist-cnn-wide': fashionMnistCnnWide,
} as const;
export type TrainArchitecture = keyof typeof TRAIN_ARCHITECTURES;

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
  arch?: string;
  init?: string;
  adversarial?: string;
  eps?: string;
  steps?: string;
  stepSize?: string;
  cleanFraction?: string;
  robustEval?: string;
  resume?: boolean;
  keepCheckpoint?: boolean;
  vat?: boolean;
  labeled?: string;
  vatEps?: string;
  vatAlpha?: string;
}

/** Virtual adversarial training settings (`--vat`): the first `labeled` training images keep their labels. */
export interface VatSettings {
  labeled: number;
  eps: number;
  alpha: number;
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
  arch: TrainArchitecture;
  /** Folder of a saved model whose weights training starts from. */
  init?: string;
  adversarial?: ResolvedAdversarialTraining;
  /** Test images for the PGD-20 robust accuracy printed after each epoch (0: none). */
  robustEval: number;
  resume: boolean;
  keepCheckpoint: boolean;
  vat?: VatSettings;
}

export interface TrainReport {
  out: string;
  testAccuracy: number;
  testImages: number;
  trainImages: number;
  seconds: number;
  history: EpochSummary[];
  command: string;
  /** PGD-20 robust accuracy on the first `robustEval` test images after the last epoch, when measured. */
  robust?: { clean: number; robust: number; images: number };
}

function parseAdversarial(flags: TrainFlags): ResolvedAdversarialTraining | undefined {
  if (flags.adversarial === undefined) {
    const stray = (['eps', 'steps', 'stepSize', 'cleanFraction'] as const).find(
      (k) => flags[k] !== undefined,
    );
    if (stray !== undefined) {
      const name = stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new UsageError(`--${name}: only with --adversarial pgd|fgsm`);
    }
    return undefined;
  }
  if (!(ADVERSARIAL_METHODS as readonly string[]).includes(flags.adversarial)) {
    throw new UsageError(
      `--adversarial: unknown method '${flags.adversarial}' (available: ${ADVERSARIAL_METHODS.join(', ')})`,
    );
  }
  const method = flags.adversarial as AdversarialMethod;
  if (method === 'fgsm' && flags.steps !== undefined && flags.steps !== '1') {
    throw new UsageError(`--steps: fgsm takes one step (got ${flags.steps}); use --adversarial pgd for more`);
  }
  const eps = flags.eps === undefined ? undefined : parseNumber(flags.eps, '--eps');
  if (eps !== undefined && !(eps > 0 && eps <= 1))
    throw new UsageError(`--eps: must be in (0, 1] (got ${flags.eps})`);
  const stepSize = flags.stepSize === undefined ? undefined : parseNumber(flags.stepSize, '--step-size');
  if (stepSize !== undefined && !(stepSize > 0))
    throw new UsageError(`--step-size: must be > 0 (got ${flags.stepSize})`);
  const cleanFraction =
    flags.cleanFraction === undefined ? undefined : parseNumber(flags.cleanFraction, '--clean-fraction');
  if (cleanFraction !== undefined && !(cleanFraction >= 0 && cleanFraction < 1)) {
    throw new UsageError(`--clean-fraction: must be in [0, 1) (got ${flags.cleanFraction})`);
  }
  return resolveAdversarialTraining({
    method,
    eps,
    steps:
      method === 'fgsm' || flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1),
    stepSize,
    cleanFraction,
    seed: parseInteger(flags.seed ?? '1', '--seed', 0),
  });
}

/** Checks the flags; throws a UsageError naming the bad option. The --out folder is checked by trainAction. */
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
  const resume = flags.resume === true;
  const arch = flags.arch ?? 'fashion-mnist-cnn';
  if (!(arch in TRAIN_ARCHITECTURES)) {
    throw new UsageError(
      `--arch: unknown architecture '${arch}' (available: ${Object.keys(TRAIN_ARCHITECTURES).join(', ')})`,
    );
  }
  if (flags.init !== undefined && !existsSync(join(resolve(flags.init), 'model.json'))) {
    throw new UsageError(`--init: no model.json in ${resolve(flags.init)}`);
  }
  const adversarial = parseAdversarial(flags);
  const vat = parseVat(flags);
  if (vat !== undefined && adversarial !== undefined)
    throw new UsageError('--vat: not together with --adversarial');
  if (vat !== undefined && resume) throw new UsageError('--resume: VAT runs are not checkpointed');
  return {
    dataset: dataset as TrainDataset,
    epochs: parseInteger(flags.epochs ?? '5', '--epochs', 1),
    batchSize: parseInteger(flags.batchSize ?? '64', '--batch-size', 1),
    learningRate,
    seed: parseInteger(flags.seed ?? '1', '--seed', 0),
    limit: flags.limit === undefined ? undefined : parseInteger(flags.limit, '--limit', 1),
    out: flags.out,
    force,
    arch: arch as TrainArchitecture,
    init: flags.init,
    adversarial,
    robustEval: parseInteger(
      flags.robustEval ?? (adversarial === undefined ? '0' : '500'),
      '--robust-eval',
      0,
    ),
    resume,
    keepCheckpoint: flags.keepCheckpoint === true,
    vat,
  };
}

function parseVat(flags: TrainFlags): VatSettings | undefined {
  if (flags.vat !== true) {
    const stray = (['labeled', 'vatEps', 'vatAlpha'] as const).find((k) => flags[k] !== undefined);
    if (stray !== undefined)
      throw new UsageError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: only with --vat`);
    return undefined;
  }
  const eps = parseNumber(flags.vatEps ?? '2', '--vat-eps');
  if (!(eps > 0)) throw new UsageError(`--vat-eps: must be > 0 (got ${flags.vatEps})`);
  const alpha = parseNumber(flags.vatAlpha ?? '1', '--vat-alpha');
  if (!(alpha >= 0)) throw new UsageError(`--vat-alpha: must be >= 0 (got ${flags.vatAlpha})`);
  return { labeled: parseInteger(flags.labeled ?? '1000', '--labeled', 1), eps, alpha };
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
  if (s.arch !== 'fashion-mnist-cnn') parts.push(`--arch ${s.arch}`);
  if (s.init !== undefined) parts.push(`--init ${s.init}`);
  const a = s.adversarial;
  if (a !== undefined) {
    parts.push(`--adversarial ${a.method}`, `--eps ${a.eps}`);
    if (a.method === 'pgd') parts.push(`--steps ${a.steps}`);
    parts.push(`--step-size ${a.stepSize}`);
    if (a.cleanFraction > 0) parts.push(`--clean-fraction ${a.cleanFraction}`);
  }
  if (s.vat !== undefined)
    parts.push('--vat', `--labeled ${s.vat.labeled}`, `--vat-eps ${s.vat.eps}`, `--vat-alpha ${s.vat.alpha}`);
  parts.push(`--out ${s.out}`);
  return parts.join(' ');
}

/** What must match for --resume to continue the same run (--epochs may grow). */
function runIdentity(s: TrainSettings): Record<string, unknown> {
  return {
    dataset: s.dataset,
    batchSize: s.batchSize,
    learningRate: s.learningRate,
    seed: s.seed,
    limit: s.limit ?? null,
    arch: s.arch,
    init: s.init === undefined ? null : resolve(s.init),
    adversarial: s.adversarial ?? null,
  };
}

function loadData(s: TrainSettings): { train: ImageDataset; test: ImageDataset } {
  try {
    return { train: loadFashionMnist('train', s.limit), test: loadFashionMnist('test') };
  } catch (error) {
    throw new UsageError(`--dataset ${s.dataset}: ${(error as Error).message}`);
  }
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

async function initialWeights(model: tf.LayersModel, dir: string): Promise<void> {
  let net: tf.LayersModel | tf.GraphModel;
  try {
    net = (await loadNetwork(resolve(dir))).net;
  } catch (error) {
    throw new UsageError(`--init: ${(error as Error).message}`);
  }
  try {
    if ((net as tf.LayersModel).layers === undefined)
      throw new Error('a graph model has no weights to start from');
    copyWeights(net as tf.LayersModel, model);
  } catch (error) {
    throw new UsageError(`--init ${dir}: ${(error as Error).message}`);
  } finally {
    net.dispose();
  }
}

/** PGD-20 (step 0.0125, eps 0.1, random start) clean and robust accuracy on the first `count` test images. */
async function robustEvaluation(model: tf.LayersModel, test: ImageDataset, count: number, seed: number) {
  const n = Math.min(count, test.count);
  const x: Tensor4D = gatherImages(
    test,
    Array.from({ length: n }, (_, i) => i),
  );
  try {
    return await pgdRobustness(asAttackModel(model), x, Array.from(test.labels.slice(0, n)), { seed });
  } finally {
    x.dispose();
  }
}

/**
 * The action of `advx train` (callable without spawning a process): checks and locks --out, trains,
 * prints one line per epoch (once its checkpoint is saved) with the test accuracy, saves the model.
 * Bad options, a bad --out and a missing data set throw a UsageError (exit 2) before any work.
 */
export async function trainAction(
  flags: TrainFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<TrainReport> {
  const settings = parseTrainFlags(flags);
  const folder = await asUsage(() =>
    openTrainingFolder({ out: settings.out, resume: settings.resume, force: settings.force }),
  );
  try {
    const data = loadData(settings);
    if (settings.vat !== undefined) return await vatTrainAction(settings, settings.vat, data, out, folder);
    return await trainInFolder(settings, data, out, folder);
  } finally {
    folder.release();
  }
}

async function trainInFolder(
  settings: TrainSettings,
  data: { train: ImageDataset; test: ImageDataset },
  out: (s: string) => void,
  folder: TrainingFolder,
): Promise<TrainReport> {
  const backend = await initEngine();
  const command = trainCommandLine(settings);
  const checkpointDir = folder.checkpointDir;
  const a = settings.adversarial;
  const recipe =
    a === undefined
      ? ''
      : `, adversarial ${a.method} eps ${a.eps}${a.method === 'pgd' ? ` ${a.steps} steps` : ''} of ${a.stepSize}` +
        (a.cleanFraction > 0 ? `, ${a.cleanFraction} of each batch clean` : '');
  out(
    `training ${settings.arch} on ${data.train.count} ${settings.dataset} images (${backend}): ${settings.epochs} epochs, ` +
      `batch ${settings.batchSize}, learning rate ${settings.learningRate}, seed ${settings.seed}${recipe}\n`,
  );
  const model = TRAIN_ARCHITECTURES[settings.arch](settings.seed);
  const optimizer = tf.train.adam(settings.learningRate);
  let bar: Progress | null = null;
  let startEpoch = 0;
  let previous: EpochSummary[] = [];
  const batches = Math.ceil(data.train.count / settings.batchSize);
  let lastRobust: TrainReport['robust'];
  try {
    if (settings.init !== undefined && !settings.resume) await initialWeights(model, settings.init);
    if (settings.resume) {
      const state = await asUsage(() =>
        resumeTraining(
          checkpointDir,
          runIdentity(settings),
          { nets: { model }, optimizers: { model: optimizer } },
          settings.epochs,
        ),
      );
      startEpoch = state.epoch;
      previous = state.history as EpochSummary[];
      out(`resuming after epoch ${startEpoch} from ${checkpointDir}\n`);
    }
    const result = await trainClassifier(model, data, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      startEpoch,
      history: previous,
      optimizer,
      makeBatch: a === undefined ? undefined : adversarialTraining(a, startEpoch * batches),
      onProgress: (p) => {
        bar ??= progressBar(`epoch ${p.epoch}/${p.epochs}`);
        bar.update(p.batch, p.batches, `loss ${p.loss.toFixed(4)}`);
        if (p.batch === p.batches) {
          bar.stop();
          bar = null;
        }
      },
      onEpochEnd: async (e, state) => {
        let robustLine = '';
        if (settings.robustEval > 0) {
          const r = await robustEvaluation(model, data.test, settings.robustEval, settings.seed);
          lastRobust = { clean: r.clean, robust: r.robust, images: r.images };
          robustLine = `  PGD-${r.steps} (step ${r.stepSize}, eps ${r.eps}, random start) on the first ${r.images} test images: clean ${percent(r.clean)}, robust ${percent(r.robust)}\n`;
        }
        await saveCheckpoint(
          checkpointDir,
          { model },
          { model: state.optimizer },
          { epoch: e.epoch, options: runIdentity(settings), history: state.history },
        );
        // Printed once the checkpoint holds the epoch: an epoch reported is an epoch kept.
        out(
          `epoch ${e.epoch}/${settings.epochs}: loss ${e.loss.toFixed(4)}, train accuracy ${percent(e.trainAccuracy)}, ` +
            `test accuracy ${percent(e.testAccuracy)} (${e.seconds.toFixed(1)} s)\n` +
            robustLine,
        );
      },
    });
    const saved = await saveLayersModel(model, folder.dir, {
      overwrite: settings.force || settings.resume,
      metadata: {
        architecture: settings.arch,
        labels: data.train.classNames,
        dataset: settings.dataset,
        testAccuracy: result.testAccuracy,
        testImages: data.test.count,
        trainImages: data.train.count,
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        seed: settings.seed,
        trainingSeconds: Math.round(result.history.reduce((sum, e) => sum + e.seconds, 0)),
        backend,
        trainingCommand: command,
        ...(a === undefined ? {} : { adversarialTraining: { ...a } }),
        ...(lastRobust === undefined
          ? {}
          : { robustAccuracy: { ...lastRobust, attack: 'PGD-20, step 0.0125, eps 0.1, random start' } }),
      },
    });
    folder.finish(settings.keepCheckpoint);
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
      robust: lastRobust,
    };
  } finally {
    (bar as Progress | null)?.stop();
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * `advx train --vat`: CE on the first `labeled` training images + alpha * LDS on all of them (as
 * unlabelled), one epoch = one pass over the unlabelled images at --batch-size, 32 labelled per step.
 * Not checkpointed (runs are short: few labels).
 */
async function vatTrainAction(
  settings: TrainSettings,
  vat: VatSettings,
  data: { train: ImageDataset; test: ImageDataset },
  out: (s: string) => void,
  folder: TrainingFolder,
): Promise<TrainReport> {
  const backend = await initEngine();
  const command = trainCommandLine(settings);
  const size = data.train.shape[0] * data.train.shape[1] * data.train.shape[2];
  const n = Math.min(vat.labeled, data.train.count);
  const labeled: ImageDataset = {
    ...data.train,
    name: `${data.train.name}-labeled`,
    images: data.train.images.subarray(0, n * size),
    labels: data.train.labels.subarray(0, n),
    count: n,
  };
  out(
    `training ${settings.arch} with virtual adversarial training on ${n} labelled + ${data.train.count} unlabelled ${settings.dataset} images (${backend}): ` +
      `${settings.epochs} epochs, batch ${settings.batchSize}, learning rate ${settings.learningRate}, seed ${settings.seed}, VAT eps ${vat.eps}, alpha ${vat.alpha}\n`,
  );
  const model = TRAIN_ARCHITECTURES[settings.arch](settings.seed);
  const started = performance.now();
  try {
    if (settings.init !== undefined) await initialWeights(model, settings.init);
    const history = await trainVat(
      model,
      { labeled, unlabeled: data.train, test: data.test },
      {
        epochs: settings.epochs,
        batchSize: Math.min(32, n),
        unlabeledBatchSize: settings.batchSize,
        learningRate: settings.learningRate,
        alpha: vat.alpha,
        eps: vat.eps,
        seed: settings.seed,
        onEpochEnd: (e) =>
          out(
            `epoch ${e.epoch}/${settings.epochs}: cross-entropy ${e.crossEntropy.toFixed(4)}, LDS ${e.lds.toFixed(4)}, ` +
              `test accuracy ${percent(e.testAccuracy)} (${e.seconds.toFixed(1)} s)\n`,
          ),
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const testAccuracy = history[history.length - 1].testAccuracy;
    const saved = await saveLayersModel(model, folder.dir, {
      overwrite: settings.force,
      metadata: {
        architecture: settings.arch,
        labels: data.train.classNames,
        dataset: settings.dataset,
        testAccuracy,
        testImages: data.test.count,
        trainImages: data.train.count,
        labeledImages: n,
        virtualAdversarialTraining: { ...vat },
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        seed: settings.seed,
        trainingSeconds: Math.round(seconds),
        backend,
        trainingCommand: command,
      },
    });
    folder.finish(true);
    out(
      `saved ${saved.dir} (test accuracy ${percent(testAccuracy)} on ${data.test.count} images, ${seconds.toFixed(0)} s)\n`,
    );
    const summaries: EpochSummary[] = history.map((e) => ({
      epoch: e.epoch,
      loss: e.crossEntropy + vat.alpha * e.lds,
      trainAccuracy: Number.NaN,
      testAccuracy: e.testAccuracy,
      seconds: e.seconds,
    }));
    return {
      out: saved.dir,
      testAccuracy,
      testImages: data.test.count,
      trainImages: n,
      seconds,
      history: summaries,
      command,
    };
  } finally {
    model.dispose();
  }
}

/** Adds `advx train` (and `advx train gan`) to the program. */
export function registerTrainCommand(program: Command): void {
  // `advx train gan --epochs 3`: options after `gan` belong to gan, not to train (which has an --epochs
  // of its own). Commander needs positional options for that, set on the program before `train` is made
  // (subcommands inherit it); other commands are not affected (the program's own options, --help and
  // --version, come first anyway).
  program.enablePositionalOptions();
  const train = program
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
    .option(
      '--arch <name>',
      `architecture (${Object.keys(TRAIN_ARCHITECTURES).join(', ')})`,
      'fashion-mnist-cnn',
    )
    .option(
      '--init <dir>',
      'start from the weights of a saved model of the same architecture (e.g. fine-tune the natural model)',
    )
    .option('--adversarial <method>', `adversarial training: pgd (Madry et al.) or fgsm (fast, random start)`)
    .option('--eps <e>', 'Linf radius of the training attack (default 0.1)')
    .option('--steps <n>', 'PGD steps of the training attack (default 8)')
    .option('--step-size <a>', 'step of the training attack (default eps/5 for pgd, 1.25 eps for fgsm)')
    .option('--clean-fraction <f>', 'share of each batch kept clean (default 0)')
    .option(
      '--robust-eval <n>',
      'after each epoch, PGD-20 robust accuracy on the first N test images (default 500 with --adversarial, else 0)',
    )
    .option('--resume', 'continue the run checkpointed in OUT/checkpoint (same options; --epochs may grow)')
    .option(
      '--keep-checkpoint',
      'keep OUT/checkpoint after training (default: removed when training completes)',
    )
    .option(
      '--vat',
      'semi-supervised virtual adversarial training: the first --labeled images keep their labels, all are used unlabelled',
    )
    .option('--labeled <n>', 'labelled training images with --vat (default 1000)')
    .option('--vat-eps <e>', 'L2 radius of the virtual adversarial perturbation (default 2)')
    .option(
      '--vat-alpha <a>',
      'weight of the VAT smoothness term (default 1; 0: supervised only, the baseline)',
    )
    .action(async (flags: TrainFlags) => {
      await trainAction(flags);
    });
  registerTrainGanCommand(train);
}
