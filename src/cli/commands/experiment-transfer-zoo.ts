/**
 * `advx experiment transfer-zoo [IMAGES...] [--model M]... [--images N] [--seed S] [--attack NAME]
 *  [--eps E] [--steps N] [--out DIR] [--force] [--json]`
 *
 * Crafts adversarials on each zoo model and evaluates them on every model: the matrix of flip rates on
 * ImageNet photos (true labels from the wnid in the file names).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { attackNames } from '../../attacks/index.js';
import { initEngine } from '../../engine/backend.js';
import { writeTextFile } from '../../experiments/csv.js';
import {
  imagenetLabelOfFile,
  sampleImagenetFiles,
  transferZoo,
  type TransferZooResult,
} from '../../experiments/transfer-zoo.js';
import {
  TRANSFER_CSV_FILE,
  transferMatrixTable,
  transferZooCsv,
} from '../../experiments/transfer-zoo-writers.js';
import { transferZooProgress } from '../../experiments/experiment-progress.js';
import type { Model } from '../../models/model.js';
import { ATTACK_FLAGS, createAttackFromFlags } from '../attack-settings.js';
import { asUsage } from '../errors.js';
import { TRANSFER_ZOO_DEFAULTS } from '../experiment-defaults.js';
import {
  collectList,
  DEFAULT_IMAGENET_MODELS,
  defaultOutDir,
  loadModels,
  parseSingleEpsilon,
  percent,
  prepareOutDir,
} from '../experiment-options.js';
import { parseInteger } from '../options.js';
import { flushNotes } from '../notes.js';
import { progressBar } from '../progress.js';
import { table } from '../tables.js';
import { getExperimentCommand } from '../experiment-command.js';

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

/** Runs the experiment with a progress bar. */
async function runTransferZoo(
  models: Model[],
  files: string[],
  flags: TransferZooFlags,
): Promise<TransferZooResult> {
  const seed = await asUsage(() => parseInteger(flags.seed, '--seed'));
  const attack = await asUsage(() =>
    createAttackFromFlags(
      flags.attack,
      { steps: flags.steps === undefined ? undefined : parseInteger(flags.steps, '--steps', 1), seed },
      ATTACK_FLAGS,
    ),
  );
  const eps = await asUsage(() => parseSingleEpsilon(flags.eps, models[0].bounds));
  const chosen =
    files.length > 0
      ? files
      : await asUsage(() => sampleImagenetFiles(parseInteger(flags.images, '--images', 1), seed));
  const labels = await asUsage(() => chosen.map(imagenetLabelOfFile));
  flushNotes(); // the options are checked: the work starts
  const bar = progressBar('transfer');
  return transferZoo(models, {
    files: chosen,
    labels,
    attack,
    eps,
    onProgress: transferZooProgress(models.length, (done, total, label) => bar.update(done, total, label)),
  }).finally(() => bar.stop());
}

export function renderTransfer(result: TransferZooResult): string {
  const { head, rows } = transferMatrixTable(result);
  return [
    `transfer: ${result.attack} at eps ${result.eps.toPrecision(4)} on ${result.images} ImageNet photos; flip rate = misclassified after the attack, among the photos the target gets right`,
    table(head, rows),
    `clean top-1: ${result.models.map((m, i) => `${m} ${percent(result.cleanAccuracy[i])}`).join(', ')}`,
  ].join('\n');
}

export async function transferZooAction(
  files: string[],
  flags: TransferZooFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
) {
  await initEngine();
  await asUsage(() => parseInteger(flags.images, '--images', 1));
  const models = await loadModels(flags.model ?? DEFAULT_IMAGENET_MODELS);
  const outDir = flags.out ?? defaultOutDir('transfer-zoo');
  prepareOutDir(outDir, [TRANSFER_CSV_FILE], flags.force);
  const result = await runTransferZoo(models, files, flags);
  models.forEach((m) => m.dispose());
  const csvPath = join(outDir, TRANSFER_CSV_FILE);
  writeTextFile(csvPath, transferZooCsv(result), { overwrite: true });
  if (flags.json) {
    out(JSON.stringify({ ...result, csv: csvPath }, null, 2) + '\n');
  } else {
    out(`${renderTransfer(result)}\n${csvPath}\n`);
  }
  return { result, csv: csvPath };
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
