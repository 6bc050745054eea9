/**
 * `--init DIR`: a training run that starts from the weights of a saved model of the same architecture
 * (e.g. adversarial fine-tuning of the natural model).
 */
import { resolve } from 'node:path';
import type { tf } from '../engine/tf.js';
import { loadNetwork } from '../models/model-files.js';
import { copyWeights } from './checkpoint.js';
import { readingOption } from './input-errors.js';

/** Copies the weights of the model saved in `dir` into `model`; a model that cannot be used is bad input (AdvxError). */
export async function loadInitialWeights(model: tf.LayersModel, dir: string): Promise<void> {
  const { net } = await readingOption('--init', () => loadNetwork(resolve(dir)));
  try {
    await readingOption(
      '--init',
      () => {
        if ((net as tf.LayersModel).layers === undefined)
          throw new Error('a graph model has no weights to start from');
        copyWeights(net as tf.LayersModel, model);
      },
      `--init ${dir}`,
    );
  } finally {
    net.dispose();
  }
}
