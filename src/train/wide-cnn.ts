/**
 * A wider variant of the embedded Fashion-MNIST CNN for adversarial training, where capacity decides the
 * trade-off between clean and robust accuracy (Madry et al. 2018, section 4): the same layers and names
 * as `fashionMnistCnn` (conv1, pool1, conv2, pool2, flatten, dense1, logits) with `filters` convolution
 * widths and `dense` hidden units. Input [28,28,1] in [0,1], 10 logits. The same seed gives the same
 * initial weights.
 */
import { tf } from '../engine/tf.js';

export interface CnnWidths {
  filters: [number, number];
  dense: number;
}

/** conv 32 / 64, dense 128 (the common Keras Fashion-MNIST CNN widths): 421,642 weights. */
export const WIDE_CNN: CnnWidths = { filters: [32, 64], dense: 128 };

export function fashionMnistCnnWithWidths(widths: CnnWidths, seed = 1): tf.Sequential {
  if (!Number.isInteger(seed))
    throw new Error(`fashionMnistCnnWithWidths: seed must be an integer (got ${seed})`);
  const sizes = [...widths.filters, widths.dense];
  if (sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`fashionMnistCnnWithWidths: widths must be positive integers (got ${sizes})`);
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 16 + k });
  return tf.sequential({
    name: 'fashion_mnist_cnn_wide',
    layers: [
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [28, 28, 1],
        filters: widths.filters[0],
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      tf.layers.conv2d({
        name: 'conv2',
        filters: widths.filters[1],
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(2),
      }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        name: 'dense1',
        units: widths.dense,
        activation: 'relu',
        kernelInitializer: init(3),
      }),
      tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: init(4) }),
    ],
  });
}

export function fashionMnistCnnWide(seed = 1): tf.Sequential {
  return fashionMnistCnnWithWidths(WIDE_CNN, seed);
}
