/** The small architectures advx trains itself. */
import { tf } from '../engine/tf.js';

/** Layer names of {@link fashionMnistCnn}, input to output. */
export const FASHION_MNIST_CNN_LAYERS = [
  'conv1',
  'pool1',
  'conv2',
  'pool2',
  'flatten',
  'dense1',
  'logits',
] as const;

/** Widths of the Fashion-MNIST CNN's two convolutions and its hidden dense layer. */
export interface CnnWidths {
  filters: [number, number];
  dense: number;
}

/** The embedded model's widths: conv 16 / 32, dense 128. */
export const EMBEDDED_CNN: CnnWidths = { filters: [16, 32], dense: 128 };

/**
 * The embedded Fashion-MNIST classifier: input [28,28,1] in [0,1], output 10 logits (no softmax).
 * Conv(16,3x3,relu) -> MaxPool2 -> Conv(32,3x3,relu) -> MaxPool2 -> Dense(128,relu) -> Dense(10),
 * 206,922 weights (0.8 MB as float32). The convolutions are kept narrow because on the wasm backend
 * their gradients dominate the cost of training, adversarial training and attacks (32/64 filters made a
 * training step 2.8x slower). The same `seed` gives the same initial weights.
 */
export function fashionMnistCnn(seed = 1): tf.Sequential {
  return fashionMnistCnnWithWidths(EMBEDDED_CNN, seed, 'fashion_mnist_cnn', 'fashionMnistCnn');
}

/**
 * The layers of {@link fashionMnistCnn} (same names, {@link FASHION_MNIST_CNN_LAYERS}) with other widths.
 * The same `seed` gives the same initial weights.
 */
export function fashionMnistCnnWithWidths(
  widths: CnnWidths,
  seed = 1,
  name = 'fashion_mnist_cnn_wide',
  caller = 'fashionMnistCnnWithWidths',
): tf.Sequential {
  if (!Number.isInteger(seed)) throw new Error(`${caller}: seed must be an integer (got ${seed})`);
  const sizes = [...widths.filters, widths.dense];
  if (sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`${caller}: widths must be positive integers (got ${sizes})`);
  // One seed per layer, so that layers do not share an initial random stream.
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 16 + k });
  const conv = (k: 1 | 2, extra: { inputShape?: [number, number, number] } = {}) =>
    tf.layers.conv2d({
      name: `conv${k}`,
      ...extra,
      filters: widths.filters[k - 1],
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(k),
    });
  return tf.sequential({
    name,
    layers: [
      conv(1, { inputShape: [28, 28, 1] }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      conv(2),
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
