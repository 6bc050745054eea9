/**
 * A wider variant of the embedded Fashion-MNIST CNN for adversarial training, where capacity decides the
 * trade-off between clean and robust accuracy (Madry et al. 2018, section 4): the same layers and names
 * as `fashionMnistCnn` with conv 32 / 64 and dense 128 (the common Keras Fashion-MNIST CNN widths):
 * 421,642 weights. The same seed gives the same initial weights.
 */
import type { tf } from '../engine/tf.js';
import { fashionMnistCnnWithWidths, type CnnWidths } from './architectures.js';

export const WIDE_CNN: CnnWidths = { filters: [32, 64], dense: 128 };

export function fashionMnistCnnWide(seed = 1): tf.Sequential {
  return fashionMnistCnnWithWidths(WIDE_CNN, seed);
}
