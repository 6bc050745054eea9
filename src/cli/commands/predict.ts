/** `advx predict IMAGE... [--model M] [--top K] [--json]` */
import type { Command } from 'commander';
import { initEngine } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { topPredictions, type Prediction } from '../../models/model.js';
import { asUsage } from '../errors.js';
import {
  addModelOptions,
  addResizeOption,
  loadImagesFromFlags,
  loadModelFromFlags,
  type ModelFlags,
  type ResizeFlags,
} from '../model-options.js';
import { parseInteger } from '../options.js';
import { topTable } from '../tables.js';

export interface PredictFlags extends ModelFlags, ResizeFlags {
  top: string;
  json?: boolean;
}

export interface PredictReport {
  model: string;
  images: { file: string; top: Prediction[] }[];
}

export async function predictAction(
  files: string[],
  flags: PredictFlags,
  out: (s: string) => void = (s) => process.stdout.write(s),
) {
  await initEngine();
  const model = await loadModelFromFlags(flags);
  const k = await asUsage(() => parseInteger(flags.top, '--top', 1));
  const x = await loadImagesFromFlags(files, model, flags);
  const top = await topPredictions(model, x, k);
  tf.dispose(x);
  const report: PredictReport = {
    model: model.name,
    images: files.map((file, i) => ({ file, top: top[i] })),
  };
  if (flags.json) {
    out(JSON.stringify(report, null, 2) + '\n');
  } else {
    for (const image of report.images) out(`${image.file} (${model.name})\n${topTable(image.top)}\n`);
  }
  return report;
}

export function registerPredictCommand(program: Command): void {
  addResizeOption(
    addModelOptions(
      program
        .command('predict')
        .description('top-K predictions of a model for image files')
        .argument('<images...>', 'JPEG or PNG files'),
    ),
  )
    .option('-k, --top <K>', 'how many classes to show', '3')
    .option('--json', 'print one JSON document on stdout')
    .action(async (files: string[], flags: PredictFlags) => {
      await predictAction(files, flags);
    });
}
