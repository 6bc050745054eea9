/** The options every model-using command shares: --model, --bounds, --preprocess. */
import type { Command } from 'commander';
import { asUsage } from './errors.js';
import { parseBounds, parsePreprocess } from './options.js';
import { DEFAULT_MODEL, zooNames } from '../models/zoo.js';
import { loadModel } from '../models/load.js';
import type { TfjsModel } from '../models/tfjs-model.js';

export interface ModelFlags {
  model: string;
  bounds?: string;
  preprocess?: string;
}

export function addModelOptions(command: Command): Command {
  return command
    .option('-m, --model <M>', `zoo name (${zooNames().join(', ')}) or a model.json path/URL`, DEFAULT_MODEL)
    .option('--bounds <LO,HI>', 'input bounds of a model given by path (default 0,1)')
    .option('--preprocess <P>', 'preprocessing of a model given by path: none|tf|caffe|torch');
}

export function loadModelFromFlags(flags: ModelFlags): Promise<TfjsModel> {
  return asUsage(() =>
    loadModel(flags.model, {
      bounds: flags.bounds === undefined ? undefined : parseBounds(flags.bounds),
      preprocess: flags.preprocess === undefined ? undefined : parsePreprocess(flags.preprocess),
    }),
  );
}
