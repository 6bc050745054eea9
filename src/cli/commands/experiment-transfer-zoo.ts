/**
 * `advx experiment transfer-zoo [IMAGES...] [--model M]... [--images N] [--seed S] [--attack NAME]
 *  [--eps E] [--steps N] [--out DIR] [--force] [--json]`
 *
 * Crafts adversarials on each zoo model and evaluates them on every model: the matrix of flip rates on
 * ImageNet photos (true labels from the wnid in the file names).
 */
import type { Command } from 'commander';
import { formatPercent } from '../../experiments/transfer-writers.js';
import { attackNames } from '../../attacks/index.js';
import { initEngine } from '../../engine/backend.js';
import type { TransferZooResult } from '../../experiments/transfer-zoo.js';
import { transferMatrixTable } from '../../experiments/transfer-zoo-writers.js';
import { prepareTransferZooRun } from '../../experiments/transfer-zoo-run.js';
import { ATTACK_FLAGS, createAttackFromFlags } from '../attack-settings.js';
import { asUsage } from '../errors.js';
import { TRANSFER_ZOO_DEFAULTS } from '../experiment-defaults.js';
import {
  collectList,
  DEFAULT_IMAGENET_MODELS,
  disposingOnError,
  loadModels,
  parseSingleEpsilon,
} from '../experiment-options.js';
import { getExperimentCommand } from '../experiment-command.js';
import { parseInteger } from '../options.js';
import { flushNotes } from '../notes.js';
import { progressBar } from '../progress.js';
import { table } from '../tables.js';

export interface TransferZooFlags {
  model?: string[];
  images: string;
  seed: string;
  attack: string;
  eps: string;
  steps?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

export function renderTransfer(result: TransferZooResult): string {
  const { head, rows } = transferMatrixTable(result);
  return [
    `transfer: ${result.attack} at eps ${result.eps.toPrecision(4)} on ${result.images} ImageNet photos; flip rate = misclassified after the attack, among the photos the target gets right`,
    table(head, rows),
    `clean top-1: ${result.models.map((m, i) => `${m} ${formatPercent(result.cleanAccuracy[i])}`).join(', ')}`,
  ].join('\n');
}

export async function transferZooAction(
  files: string[],
  flags: TransferZooFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
) {
  await initEngine();
  const images = await asUsage(() => parseInteger(flags.images, '--images', 1));
  const seed = await asUsage(() => parseInteger(flags.seed, '--seed'));
  const attack = await asUsage(() =>
    createAttackFromFlags(
      flags.attack,
      { steps: flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1), seed },
      ATTACK_FLAGS,
    ),
  );
  const models = await loadModels(flags.model ?? DEFAULT_IMAGENET_MODELS);
  const eps = await disposingOnError(models, () =>
    asUsage(() => parseSingleEpsilon(flags.eps, models[0].bounds)),
  );
  const prepared = await asUsage(() =>
    prepareTransferZooRun({
      models,
      photos: files,
      images,
      seed,
      attack,
      eps,
      out: flags.out,
      force: flags.force,
    }),
  );
  flushNotes(); // the options are checked: the work starts
  const bar = progressBar('transfer');
  const { result, csv } = await prepared
    .run((done, total, label) => bar.update(done, total, label))
    .finally(() => bar.stop());
  if (flags.json) {
    out(JSON.stringify({ ...result, csv }, null, 2) + '\n');
  } else {
    out(`${renderTransfer(result)}\n${csv}\n`);
  }
  return { result, csv };
}

export function registerTransferZooCommand(program: Command): void {
  const d = TRANSFER_ZOO_DEFAULTS;
  getExperimentCommand(program)
    .command('transfer-zoo')
    .description(
      'craft on each zoo model, evaluate on the others: the matrix of flip rates on ImageNet photos',
    )
    .argument(
      '[images...]',
      'photos named after their wnid (default: --images photos of the shared sample folder)',
    )
    .option(
      '-m, --model <M>',
      `models, repeat or comma-separate (default: ${DEFAULT_IMAGENET_MODELS.join(',')})`,
      collectList,
    )
    .option(
      '-n, --images <N>',
      'photos drawn (seeded) from the ImageNet sample folder when none are given',
      d.images,
    )
    .option('-s, --seed <S>', 'seed of the photo draw and of random starts', d.seed)
    .option('-a, --attack <NAME>', `attack crafted on each source (${attackNames().join(', ')})`, d.attack)
    .option('-e, --eps <E>', 'epsilon in units of the bounds', d.eps)
    .option('--steps <N>', 'iterations (iterative attacks)')
    .option('-o, --out <DIR>', 'output folder (default: a new folder under advx-out/)')
    .option('--force', 'overwrite existing outputs in --out')
    .option('--json', 'print one JSON document on stdout')
    .action(async (files: string[], flags: TransferZooFlags) => {
      await transferZooAction(files, flags);
    });
}
