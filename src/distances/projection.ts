/**
 * Projections onto eps balls and into bounds; normalisation of gradients in a norm.
 * Batched: every op works per sample on `[N, ...]` tensors.
 */
import { tf, type Tensor } from '../engine/tf.js';
import type { Norm } from './norms.js';

const TINY = 1e-12;

function rowShape(t: Tensor): number[] {
  return [t.shape[0], ...t.shape.slice(1).map(() => 1)];
}

/** Broadcastable per-row column of a [N] tensor for a [N, ...] tensor. */
function perRow(values: Tensor, like: Tensor): Tensor {
  return tf.reshape(values, rowShape(like));
}

/** Clips values into [lo, hi]. */
export function clipToBounds<T extends Tensor>(x: T, bounds: readonly [number, number]): T {
  return tf.clipByValue(x, bounds[0], bounds[1]);
}

/** Euclidean projection of each row onto the L1 ball of radius eps (Duchi et al. 2008). */
function projectL1(delta: Tensor, eps: number): Tensor {
  return tf.tidy(() => {
    const n = delta.shape[0];
    const flat = tf.reshape(delta, [n, -1]) as tf.Tensor2D;
    const d = flat.shape[1];
    const abs = tf.abs(flat);
    const sorted = tf.topk(abs, d).values;
    const cumulative = tf.cumsum(sorted, 1);
    const ranks = tf.range(1, d + 1);
    const positive = tf.cast(
      tf.greater(tf.sub(sorted, tf.div(tf.sub(cumulative, eps), ranks)), 0),
      'float32',
    );
    const rho = tf.maximum(tf.sum(positive, 1), 1);
    const rhoIndex = tf.cast(tf.sub(rho, 1), 'int32');
    const cumAtRho = tf.sum(tf.mul(cumulative, tf.oneHot(rhoIndex, d)), 1);
    const theta = tf.maximum(tf.div(tf.sub(cumAtRho, eps), rho), 0);
    const shrunk = tf.mul(tf.sign(flat), tf.relu(tf.sub(abs, tf.expandDims(theta, 1))));
    const inside = tf.expandDims(tf.lessEqual(tf.sum(abs, 1), eps), 1);
    return tf.reshape(tf.where(tf.broadcastTo(inside, flat.shape), flat, shrunk), delta.shape);
  });
}

/** Projects each perturbation onto the eps ball of `norm` (exact Euclidean projection for linf, l2, l1). */
export function projectPerturbation<T extends Tensor>(delta: T, norm: Norm, eps: number): T {
  return tf.tidy(() => {
    switch (norm) {
      case 'linf':
        return tf.clipByValue(delta, -eps, eps);
      case 'l2': {
        const norms = tf.sqrt(tf.sum(tf.square(tf.reshape(delta, [delta.shape[0], -1])), 1));
        const factor = tf.minimum(1, tf.div(eps, tf.maximum(norms, TINY)));
        return tf.mul(delta, perRow(factor, delta));
      }
      case 'l1':
        return projectL1(delta, eps);
      case 'l0':
        return keepLargest(delta, Math.floor(eps));
    }
  }) as T;
}

/** Keeps the k entries of largest magnitude per row (the l0 "ball"). */
function keepLargest(delta: Tensor, k: number): Tensor {
  return tf.tidy(() => {
    const n = delta.shape[0];
    const flat = tf.reshape(delta, [n, -1]) as tf.Tensor2D;
    if (k >= flat.shape[1]) return delta;
    if (k <= 0) return tf.zerosLike(delta);
    const kth = tf.slice(tf.topk(tf.abs(flat), k).values, [0, k - 1], [n, 1]);
    return tf.reshape(tf.mul(flat, tf.cast(tf.greaterEqual(tf.abs(flat), kth), 'float32')), delta.shape);
  });
}

/** x0 + projection of (x - x0) onto the eps ball, then into bounds. */
export function clipToEpsBall<T extends Tensor>(
  x0: T,
  x: T,
  norm: Norm,
  eps: number,
  bounds: readonly [number, number],
): T {
  return tf.tidy(() => clipToBounds(tf.add(x0, projectPerturbation(tf.sub(x, x0), norm, eps)), bounds)) as T;
}

/** Scales each row to unit norm (l2, l1) or takes its sign (linf): the steepest-ascent direction. */
export function normalizeGradient<T extends Tensor>(g: T, norm: Norm): T {
  return tf.tidy(() => {
    if (norm === 'linf') return tf.sign(g);
    const flat = tf.reshape(g, [g.shape[0], -1]);
    const norms = norm === 'l2' ? tf.sqrt(tf.sum(tf.square(flat), 1)) : tf.sum(tf.abs(flat), 1);
    return tf.div(g, perRow(tf.maximum(norms, TINY), g));
  }) as T;
}

/** Random points uniformly inside the eps ball (linf: uniform cube; l2/l1: uniform ball via sphere sampling). */
export function randomInBall(shape: number[], norm: Norm, eps: number, seed: () => number): Tensor {
  return tf.tidy(() => {
    if (norm === 'linf') return tf.randomUniform(shape, -eps, eps, 'float32', seed());
    const n = shape[0];
    const d = shape.slice(1).reduce((a, b) => a * b, 1);
    if (norm === 'l2') {
      const direction = normalizeGradient(tf.randomNormal([n, d], 0, 1, 'float32', seed()), 'l2');
      const radius = tf.pow(tf.randomUniform([n, 1], 0, 1, 'float32', seed()), 1 / d);
      return tf.reshape(tf.mul(direction, tf.mul(radius, eps)), shape);
    }
    // l1: Laplace direction normalised on the l1 sphere, radius u^(1/d).
    const u = tf.randomUniform([n, d], 1e-7, 1, 'float32', seed());
    const laplace = tf.mul(tf.sign(tf.randomUniform([n, d], -1, 1, 'float32', seed())), tf.neg(tf.log(u)));
    const direction = normalizeGradient(laplace, 'l1');
    const radius = tf.pow(tf.randomUniform([n, 1], 0, 1, 'float32', seed()), 1 / d);
    return tf.reshape(tf.mul(direction, tf.mul(radius, eps)), shape);
  });
}
