/**
 * Preprocessing that turns pixels in the model's bounds into what the network was trained on.
 * Applied inside the model wrapper, in this order: flip channels, scale, subtract mean, divide by std.
 */
import { tf, type Tensor4D } from '../engine/tf.js';

export interface Preprocessing {
  /** Reverse the channel axis (RGB -> BGR) first. */
  flipChannels?: boolean;
  /** Multiply by this before the mean is subtracted (e.g. 255 to go from [0,1] to [0,255]). */
  scale?: number;
  mean?: number | readonly number[];
  std?: number | readonly number[];
}

/** The usual named schemes for inputs in [0,255] (Keras' preprocess_input modes) or [0,1]. */
export type PreprocessName = 'none' | 'tf' | 'caffe' | 'torch';

export function namedPreprocessing(name: PreprocessName, bounds: readonly [number, number]): Preprocessing {
  const toUnit = 1 / (bounds[1] - bounds[0]);
  switch (name) {
    case 'none':
      return {};
    case 'tf': // [-1, 1]
      return { scale: 2 * toUnit, mean: 1 + 2 * toUnit * bounds[0] };
    case 'caffe': // BGR, [0,255] minus the ImageNet means
      return { flipChannels: true, scale: 255 * toUnit, mean: [103.939, 116.779, 123.68] };
    case 'torch': // [0,1], ImageNet mean/std
      return { scale: toUnit, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  }
}

export function isIdentity(p: Preprocessing): boolean {
  return !p.flipChannels && (p.scale ?? 1) === 1 && (p.mean ?? 0) === 0 && (p.std ?? 1) === 1;
}

export function applyPreprocessing(x: Tensor4D, p: Preprocessing): Tensor4D {
  if (isIdentity(p)) return x;
  return tf.tidy(() => {
    let y: Tensor4D = p.flipChannels ? tf.reverse(x, 3) : x;
    if (p.scale !== undefined && p.scale !== 1) y = tf.mul(y, p.scale);
    if (p.mean !== undefined)
      y = tf.sub(y, typeof p.mean === 'number' ? p.mean : tf.tensor1d(p.mean as number[]));
    if (p.std !== undefined)
      y = tf.div(y, typeof p.std === 'number' ? p.std : tf.tensor1d(p.std as number[]));
    return y;
  });
}
