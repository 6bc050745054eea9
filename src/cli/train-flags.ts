/**
 * The flags of `advx train` checked and turned into the settings of a classifier training run
 * (defenses/classifier-training-settings.ts); every bad value is a UsageError naming its option. Kept
 * outside commands/ (as evaluate-flags.ts): commands/train.ts is the command.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ADVERSARIAL_METHODS,
  resolveAdversarialTraining,
  type AdversarialMethod,
  type ResolvedAdversarialTraining,
} from '../defenses/adversarial-training.js';
import {
  TRAIN_ARCHITECTURES,
  TRAIN_DATASETS,
  type ClassifierTrainingSettings,
  type TrainArchitecture,
  type TrainDataset,
  type VatSettings,
} from '../defenses/classifier-training-settings.js';
import { UsageError } from './errors.js';
import { parseInteger, parseNumber } from './options.js';

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
export function parseTrainFlags(flags: TrainFlags): ClassifierTrainingSettings {
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
