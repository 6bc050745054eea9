/** Per-sample distances between two batches, foolbox's l0, l1, l2, linf and mse. */
import { tf, type Tensor, type Tensor1D } from '../engine/tf.js';

export type Norm = 'l0' | 'l1' | 'l2' | 'linf';
export type DistanceName = Norm | 'mse';

/**
 * The largest distance in `norm` between two inputs of `size` values inside bounds of width `range`: no
 * eps ball needs a larger radius (Linf: range; L2: range * sqrt(size); L1: range * size; L0: size).
 */
export function largestDistance(norm: Norm, range: number, size: number): number {
  switch (norm) {
    case 'linf':
      return range;
    case 'l2':
      return range * Math.sqrt(size);
    case 'l1':
      return range * size;
    case 'l0':
      return size;
  }
}

function flatDelta(a: Tensor, b: Tensor): tf.Tensor2D {
  if (a.shape.join() !== b.shape.join()) {
    throw new Error(`distance: shapes differ (${a.shape} vs ${b.shape})`);
  }
  return tf.reshape(tf.sub(a, b), [a.shape[0], -1]);
}

/** Norm of each row of a batch of perturbations. */
export function perturbationNorm(delta: Tensor, norm: Norm): Tensor1D {
  return tf.tidy(() => {
    const d = tf.reshape(delta, [delta.shape[0], -1]);
    switch (norm) {
      case 'l0':
        return tf.sum(tf.cast(tf.notEqual(d, 0), 'float32'), 1);
      case 'l1':
        return tf.sum(tf.abs(d), 1);
      case 'l2':
        return tf.sqrt(tf.sum(tf.square(d), 1));
      case 'linf':
        return tf.max(tf.abs(d), 1);
    }
  });
}

export function distance(name: DistanceName, reference: Tensor, perturbed: Tensor): Tensor1D {
  return tf.tidy(() => {
    if (name === 'mse') return tf.mean(tf.square(flatDelta(perturbed, reference)), 1);
    return perturbationNorm(flatDelta(perturbed, reference), name);
  });
}

export const l0 = (a: Tensor, b: Tensor): Tensor1D => distance('l0', a, b);
export const l1 = (a: Tensor, b: Tensor): Tensor1D => distance('l1', a, b);
export const l2 = (a: Tensor, b: Tensor): Tensor1D => distance('l2', a, b);
export const linf = (a: Tensor, b: Tensor): Tensor1D => distance('linf', a, b);
export const mse = (a: Tensor, b: Tensor): Tensor1D => distance('mse', a, b);
