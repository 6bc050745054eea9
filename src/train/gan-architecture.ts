/**
 * A small DCGAN (Radford et al. 2016) for 28x28x1 images in [0,1], sized for CPU training on wasm.
 *
 * Generator: z [latentDim] ~ N(0, I) -> Dense(7*7*64) -> BatchNorm -> ReLU -> reshape 7x7x64
 *   -> Conv2DTranspose(32, 4x4, stride 2) -> BatchNorm -> ReLU -> 14x14x32
 *   -> Conv2DTranspose(1, 4x4, stride 2), sigmoid -> 28x28x1 in [0,1].
 * Discriminator: Conv(64, 4x4, stride 2) -> LeakyReLU(0.2) -> Conv(128, 4x4, stride 2) -> LeakyReLU(0.2)
 *   -> Dense(1): a logit (real vs generated). (A 32/64 discriminator stayed near D(x) = 0.5 and gave
 *   blurry, checkered samples after 4 epochs; the generator is what the projection defense runs, so it
 *   stays small and only the discriminator, used in training alone, is wide.)
 * The same seed gives the same initial weights.
 */
import { tf } from '../engine/tf.js';

export interface GanArchitecture {
  /** Dimension of the latent code z. */
  latentDim: number;
  /** Output image size (28x28x1). */
  imageShape: [number, number, number];
}

export const DEFAULT_LATENT_DIM = 32;

function checkSeed(what: string, seed: number): void {
  if (!Number.isInteger(seed)) throw new Error(`${what}: seed must be an integer (got ${seed})`);
}

export function dcganGenerator(latentDim = DEFAULT_LATENT_DIM, seed = 1): tf.Sequential {
  checkSeed('dcganGenerator', seed);
  if (!Number.isInteger(latentDim) || latentDim < 1)
    throw new Error(`dcganGenerator: latentDim must be an integer >= 1 (got ${latentDim})`);
  const init = (k: number) => tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: seed * 16 + k });
  return tf.sequential({
    name: 'fashion_mnist_generator',
    layers: [
      tf.layers.dense({
        name: 'g_dense',
        inputShape: [latentDim],
        units: 7 * 7 * 64,
        useBias: false,
        kernelInitializer: init(1),
      }),
      tf.layers.batchNormalization({ name: 'g_bn1', momentum: 0.9 }),
      tf.layers.reLU({ name: 'g_relu1' }),
      tf.layers.reshape({ name: 'g_reshape', targetShape: [7, 7, 64] }),
      tf.layers.conv2dTranspose({
        name: 'g_deconv1',
        filters: 32,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(2),
      }),
      tf.layers.batchNormalization({ name: 'g_bn2', momentum: 0.9 }),
      tf.layers.reLU({ name: 'g_relu2' }),
      tf.layers.conv2dTranspose({
        name: 'g_deconv2',
        filters: 1,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        activation: 'sigmoid',
        kernelInitializer: init(3),
      }),
    ],
  });
}

/** Discriminator widths: conv1 and conv2 filters (default 64 and 128). */
export function dcganDiscriminator(seed = 1, filters: [number, number] = [64, 128]): tf.Sequential {
  checkSeed('dcganDiscriminator', seed);
  const init = (k: number) =>
    tf.initializers.randomNormal({ mean: 0, stddev: 0.02, seed: seed * 16 + 8 + k });
  return tf.sequential({
    name: 'fashion_mnist_discriminator',
    layers: [
      tf.layers.conv2d({
        name: 'd_conv1',
        inputShape: [28, 28, 1],
        filters: filters[0],
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(1),
      }),
      tf.layers.leakyReLU({ name: 'd_lrelu1', alpha: 0.2 }),
      tf.layers.conv2d({
        name: 'd_conv2',
        filters: filters[1],
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        kernelInitializer: init(2),
      }),
      tf.layers.leakyReLU({ name: 'd_lrelu2', alpha: 0.2 }),
      tf.layers.flatten({ name: 'd_flatten' }),
      tf.layers.dense({ name: 'd_logit', units: 1, kernelInitializer: init(3) }),
    ],
  });
}

/** The latent dimension and image shape of a generator network. */
export function generatorShape(generator: tf.LayersModel): GanArchitecture {
  const input = generator.inputs[0].shape;
  const output = generator.outputs[0].shape;
  if (input.length !== 2 || typeof input[1] !== 'number') {
    throw new Error(`generator ${generator.name}: takes [N, latentDim] codes (got input [${input}])`);
  }
  if (output.length !== 4 || output.slice(1).some((d) => typeof d !== 'number')) {
    throw new Error(`generator ${generator.name}: must output images [N,H,W,C] (got [${output}])`);
  }
  return { latentDim: input[1], imageShape: output.slice(1) as [number, number, number] };
}
