/**
 * Per-input tensor helpers the minimization attacks share: each input of a batch has its own scalar (norm,
 * step size, epsilon, constant), its own flag (adversarial or not), and may leave the batch early.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../engine/tf.js';
import type { Norm } from '../distances/index.js';

const TINY = 1e-12;

/** A `[N]` list of numbers (or a `[N]` tensor) as a `[N,1,1,1]` column that broadcasts over a batch. */
export function perRow(values: readonly number[] | Tensor1D): Tensor4D {
  return tf.tidy(() => {
    const column = Array.isArray(values) ? tf.tensor1d(values as number[]) : (values as Tensor1D);
    return tf.reshape(column, [-1, 1, 1, 1]) as Tensor4D;
  });
}

/** Row n of `whenTrue` where `mask[n]`, else of `whenFalse`. */
export function selectRows(mask: readonly boolean[], whenTrue: Tensor4D, whenFalse: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const column = tf.reshape(tf.tensor1d(mask.map(Number), 'bool'), [-1, 1, 1, 1]);
    return tf.where(tf.broadcastTo(column, whenTrue.shape), whenTrue, whenFalse) as Tensor4D;
  });
}

/** Rows `indices` of a batch. */
export function gatherRows<T extends Tensor>(t: T, indices: readonly number[]): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d(indices as number[], 'int32'))) as T;
}

/** `full` with its rows `indices` replaced by the rows of `part` (in order). */
export function scatterRows(full: Tensor4D, indices: readonly number[], part: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const n = full.shape[0];
    const source = Array.from({ length: n }, (_, i) => i);
    indices.forEach((row, j) => (source[row] = n + j));
    return tf.gather(tf.concat([full, part]), tf.tensor1d(source, 'int32')) as Tensor4D;
  });
}

/** The `norm` of each row as a `[N]` tensor (l0 counts non-zeros). */
export function rowNorms(t: Tensor, norm: Norm): Tensor1D {
  return tf.tidy(() => {
    const flat = tf.reshape(t, [t.shape[0], -1]);
    switch (norm) {
      case 'l0':
        return tf.sum(tf.cast(tf.notEqual(flat, 0), 'float32'), 1) as Tensor1D;
      case 'l1':
        return tf.sum(tf.abs(flat), 1) as Tensor1D;
      case 'l2':
        return tf.sqrt(tf.sum(tf.square(flat), 1)) as Tensor1D;
      case 'linf':
        return tf.max(tf.abs(flat), 1) as Tensor1D;
    }
  });
}

/** The `norm` of each input's perturbation `x - x0`, read back as numbers. */
export function perturbationNormValues(x: Tensor4D, x0: Tensor4D, norm: Norm): number[] {
  return valuesAndDispose(tf.tidy(() => rowNorms(tf.sub(x, x0), norm)));
}

/** The values of a tensor as numbers; the tensor is disposed. */
export function valuesAndDispose(t: Tensor): number[] {
  try {
    return Array.from(t.dataSync());
  } finally {
    t.dispose();
  }
}

/** Scales each row to unit L2 norm (rows of norm 0 stay 0). */
export function unitL2Rows<T extends Tensor>(t: T): T {
  return tf.tidy(() => {
    const norms = tf.maximum(rowNorms(t, 'l2'), TINY);
    return tf.div(t, tf.reshape(norms, [t.shape[0], ...t.shape.slice(1).map(() => 1)]));
  }) as T;
}

/** Euclidean projection of each row of `delta` onto the L1 ball of its own radius (Duchi et al. 2008). */
function projectRowsL1(delta: Tensor4D, eps: Tensor1D): Tensor4D {
  return tf.tidy(() => {
    const n = delta.shape[0];
    const flat = tf.reshape(delta, [n, -1]) as tf.Tensor2D;
    const d = flat.shape[1];
    const abs = tf.abs(flat);
    const sorted = tf.topk(abs, d).values;
    const cumulative = tf.cumsum(sorted, 1);
    const radius = tf.expandDims(eps, 1);
    const ranks = tf.range(1, d + 1);
    const positive = tf.cast(tf.greater(tf.mul(sorted, ranks), tf.sub(cumulative, radius)), 'float32');
    const rho = tf.maximum(tf.sum(positive, 1), 1);
    const atRho = tf.sum(tf.mul(cumulative, tf.oneHot(tf.cast(tf.sub(rho, 1), 'int32'), d)), 1);
    const theta = tf.maximum(tf.div(tf.sub(atRho, eps), rho), 0);
    const shrunk = tf.mul(tf.sign(flat), tf.relu(tf.sub(abs, tf.expandDims(theta, 1))));
    const inside = tf.expandDims(tf.lessEqual(tf.sum(abs, 1), eps), 1);
    return tf.reshape(tf.where(tf.broadcastTo(inside, flat.shape), flat, shrunk), delta.shape) as Tensor4D;
  });
}

/**
 * Projects each row of `delta` onto the `norm` ball of its own radius `eps[n]` (exact Euclidean projection;
 * an infinite radius leaves the row as it is).
 */
export function projectRows(delta: Tensor4D, norm: Exclude<Norm, 'l0'>, eps: Tensor1D): Tensor4D {
  return tf.tidy(() => {
    switch (norm) {
      case 'linf': {
        const radius = perRow(eps);
        return tf.minimum(tf.maximum(delta, tf.neg(radius)), radius) as Tensor4D;
      }
      case 'l2': {
        const factor = tf.minimum(1, tf.div(eps, tf.maximum(rowNorms(delta, 'l2'), TINY)));
        return tf.mul(delta, perRow(factor as Tensor1D)) as Tensor4D;
      }
      case 'l1':
        return projectRowsL1(delta, eps);
    }
  });
}
