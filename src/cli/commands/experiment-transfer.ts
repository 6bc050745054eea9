/**
 * `advx experiment transfer [--dataset fashion-mnist|mnist|digits] [--models dnn,lr,svm,tree,knn,ens]
 *  [--attack fgsm|pgd] [--eps 0.3] [--samples N] [--seed S] [--train-size N] [--steps N]
 *  [--substitute-seeds N] [--substitute-rounds N] [--out DIR] [--force] [--json]`
 *
 * Papernot et al.'s cross-technique transferability matrix (the book's Figure 10.4): trains the models,
 * crafts adversarial examples on each, and writes `transfer-<dataset>.{csv,json,png}` to --out.
 */
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import {
  TRANSFER_ATTACKS,
  TRANSFER_DATASETS,
  TRANSFER_FAMILIES,
  type TransferAttack,
  type TransferDataset,
  type TransferExperimentOptions,
  type TransferFamily,
} from '../../experiments/transfer.js';
import {
  DEFAULT_TRANSFER_SAMPLES,
  prepareTransferRun,
  type TransferRun,
} from '../../experiments/transfer-run.js';
import { asUsage, UsageError } from '../errors.js';
import { getExperimentCommand } from '../experiment-command.js';
import { parseEpsilons, parseInteger } from '../options.js';
import { renderTransferExperiment, transferPhaseBars, transferRunJson } from '../render-transfer.js';

export { renderTransferExperiment } from '../render-transfer.js';

export interface TransferFlags {
  dataset?: string;
  models?: string;
  attack?: string;
  eps?: string;
  samples?: string;
  seed?: string;
  trainSize?: string;
  steps?: string;
  substituteSeeds?: string;
  substituteRounds?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export const TRANSFER_DEFAULTS = {
  dataset: 'fashion-mnist',
  models: TRANSFER_FAMILIES.join(','),
  attack: 'fgsm',
  eps: '0.3',
  samples: DEFAULT_TRANSFER_SAMPLES,
  seed: '0',
  substituteSeeds: '300',
  substituteRounds: '4',
};

export interface ParsedTransferFlags {
  dataset: TransferDataset;
  trainSize?: number;
  /** Test images attacked; undefined: 500, or the whole test split when it is smaller. */
  samples?: number;
  options: TransferExperimentOptions & {
    models: TransferFamily[];
    attack: TransferAttack;
    eps: number;
    seed: number;
  };
}

/** Validates every option (UsageError naming it) before anything is loaded or trained. */
export function parseTransferFlags(flags: TransferFlags): ParsedTransferFlags {
  const d = TRANSFER_DEFAULTS;
  const dataset = flags.dataset ?? d.dataset;
  if (!(TRANSFER_DATASETS as readonly string[]).includes(dataset))
    throw new UsageError(
      `--dataset: unknown data set '${dataset}' (available: ${TRANSFER_DATASETS.join(', ')})`,
    );
  const models = (flags.models ?? d.models)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (models.length === 0)
    throw new UsageError(`--models: give at least one of ${TRANSFER_FAMILIES.join(', ')}`);
  for (const m of models) {
    if (!(TRANSFER_FAMILIES as readonly string[]).includes(m))
      throw new UsageError(`--models: unknown model '${m}' (available: ${TRANSFER_FAMILIES.join(', ')})`);
  }
  const twice = models.find((m, i) => models.indexOf(m) !== i);
  if (twice !== undefined) throw new UsageError(`--models: '${twice}' given twice`);
  const attack = (flags.attack ?? d.attack).toLowerCase();
  if (!(TRANSFER_ATTACKS as readonly string[]).includes(attack))
    throw new UsageError(`--attack: fgsm or pgd (got '${flags.attack}')`);
  const epsilons = parseEpsilons(flags.eps ?? d.eps, [0, 1]);
  if (epsilons.length !== 1 || !(epsilons[0] > 0))
    throw new UsageError(`--eps: give one epsilon in (0, 1] (got ${flags.eps})`);
  const samples = flags.samples === undefined ? undefined : parseInteger(flags.samples, '--samples', 1);
  const seed = parseInteger(flags.seed ?? d.seed, '--seed');
  const trainSize =
    flags.trainSize === undefined ? undefined : parseInteger(flags.trainSize, '--train-size', 20);
  let steps: number | undefined;
  if (flags.steps !== undefined) {
    if (attack !== 'pgd') throw new UsageError(`--steps: only for --attack pgd (FGSM takes one step)`);
    steps = parseInteger(flags.steps, '--steps', 1);
  }
  const substituteSeeds = parseInteger(flags.substituteSeeds ?? d.substituteSeeds, '--substitute-seeds', 10);
  const substituteRounds = parseInteger(
    flags.substituteRounds ?? d.substituteRounds,
    '--substitute-rounds',
    1,
  );
  if (substituteRounds > 10)
    throw new UsageError(
      `--substitute-rounds: at most 10 (the set doubles each round; got ${substituteRounds})`,
    );
  return {
    dataset: dataset as TransferDataset,
    trainSize,
    samples,
    options: {
      models: models as TransferFamily[],
      attack: attack as TransferAttack,
      eps: epsilons[0],
      seed,
      steps,
      substitute: { seeds: substituteSeeds, rounds: substituteRounds },
    },
  };
}

export type TransferReport = TransferRun;

export async function transferAction(
  flags: TransferFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<TransferReport> {
  const parsed = parseTransferFlags(flags);
  await initEngine();
  const prepared = await asUsage(() =>
    prepareTransferRun({
      ...parsed,
      out: flags.out,
      force: flags.force,
      optionNames: {
        samples: '--samples',
        trainSize: '--train-size',
        substituteSeeds: '--substitute-seeds',
      },
    }),
  );
  const bars = transferPhaseBars();
  let report: TransferReport;
  try {
    report = await prepared.run((p) => bars.update(p));
  } finally {
    bars.stop();
  }
  const { result, files } = report;
  if (flags.json) out(transferRunJson(report));
  else out(`${renderTransferExperiment(result)}\n${files.csv}\n${files.json}\n${files.png}\n`);
  return report;
}

export function registerTransferCommand(program: Command): void {
  const d = TRANSFER_DEFAULTS;
  getExperimentCommand(program)
    .command('transfer')
    .description(
      "cross-technique transferability (Papernot et al. 2016, the book's Figure 10.4): train DNN, LR, SVM, tree, kNN and their ensemble, craft on each, evaluate on all",
    )
    .option(
      '-d, --dataset <NAME>',
      `data set: ${TRANSFER_DATASETS.join(', ')} (MNIST and digits are split 8000/2000 and 1437/360)`,
      d.dataset,
    )
    .option(
      '-m, --models <LIST>',
      `comma list of sources and targets, from ${TRANSFER_FAMILIES.join(', ')}`,
      d.models,
    )
    .option(
      '-a, --attack <NAME>',
      'fgsm or pgd (Linf); crafted white-box on dnn, lr, svm and on the substitutes of knn and ens',
      d.attack,
    )
    .option('-e, --eps <E>', 'Linf budget in pixel units [0,1] (also the tree attack budget)', d.eps)
    .option(
      '-n, --samples <N>',
      `test images attacked, a seeded draw (default: ${d.samples}, or the whole test split when smaller)`,
    )
    .option('-s, --seed <S>', 'seed of the split, the models, the sample draw and the attacks', d.seed)
    .option(
      '--train-size <N>',
      'training images (default: 10000 for fashion-mnist, the whole training split otherwise)',
    )
    .option('--steps <N>', 'PGD iterations (default 40), each of 2.5 eps / steps, random start')
    .option(
      '--substitute-seeds <N>',
      'unlabelled starting points of the black-box substitutes (knn, ens)',
      d.substituteSeeds,
    )
    .option(
      '--substitute-rounds <N>',
      'substitute training rounds (Jacobian augmentation doubles the set each round)',
      d.substituteRounds,
    )
    .option('-o, --out <DIR>', 'output folder (default: a new folder under advx-out/)')
    .option('--force', 'overwrite existing outputs in --out')
    .option('--json', 'print one JSON document on stdout')
    .action(async (flags: TransferFlags) => {
      await transferAction(flags);
    });
}
