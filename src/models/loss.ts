/**
 * The losses an attack can ask a model to differentiate (the second half of the model seam). Every loss is
 * per input and is to be ASCENDED by the attack; the gradient a model returns is that of the sum over the
 * batch, so each input's gradient is its own.
 *
 * - `crossentropy`: untargeted `CE(z, y)`; targeted `-CE(z, t)` (labels then hold the targets).
 * - `margin`: untargeted `max_{i != y} z_i - z_y`; targeted `z_t - max_{i != t} z_i` (C&W's f6 without
 *   its clamp at kappa, which callers apply per input).
 * - `dlr`: Croce & Hein's difference of logits ratio, `-(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12)`
 *   (z_pi sorted descending).
 * - `dlr-targeted`: `-(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)`.
 * - `logits`: `sum_k w_nk z_nk` for given weights `[N,K]` (row-major): gradients of logit differences, as
 *   DeepFool and FAB need them.
 *
 * `lossOfLogits` is the reference definition (tfjs); engines that build the loss into a graph (ONNX) are
 * tested against it.
 */
import { tf, type Tensor1D, type Tensor2D } from '../engine/tf.js';

export type Loss =
  | { kind: 'crossentropy'; labels: readonly number[]; targeted: boolean }
  | { kind: 'margin'; labels: readonly number[]; targeted: boolean }
  | { kind: 'dlr'; labels: readonly number[] }
  | { kind: 'dlr-targeted'; labels: readonly number[]; targets: readonly number[] }
  | { kind: 'logits'; weights: Float32Array };

export type LossKind = Loss['kind'];

/** Number of inputs a loss is defined for, and a check that its classes fit the model. */
export function checkLoss(loss: Loss, batch: number, numClasses: number): void {
  const classes: (readonly number[])[] = [];
  if (loss.kind === 'logits') {
    if (loss.weights.length !== batch * numClasses) {
      throw new Error(
        `loss 'logits': ${loss.weights.length} weights for a batch of ${batch} x ${numClasses} classes`,
      );
    }
    return;
  }
  classes.push(loss.labels);
  if (loss.kind === 'dlr-targeted') classes.push(loss.targets);
  for (const list of classes) {
    if (list.length !== batch)
      throw new Error(`loss '${loss.kind}': ${list.length} labels for a batch of ${batch}`);
    const bad = list.find((c) => !Number.isInteger(c) || c < 0 || c >= numClasses);
    if (bad !== undefined)
      throw new Error(`loss '${loss.kind}': class ${bad} is out of range for ${numClasses} classes`);
  }
  if ((loss.kind === 'dlr' && numClasses < 3) || (loss.kind === 'dlr-targeted' && numClasses < 4)) {
    throw new Error(`loss '${loss.kind}' needs at least ${loss.kind === 'dlr' ? 3 : 4} classes`);
  }
}

function oneHot(labels: readonly number[], k: number): Tensor2D {
  return tf.cast(tf.oneHot(tf.tensor1d(labels as number[], 'int32'), k), 'float32') as Tensor2D;
}

/** The logit at the one-hot position `mask` per row (differentiable; the mask is not). */
function pickLogit(logits: Tensor2D, mask: Tensor2D): Tensor1D {
  return tf.sum(tf.mul(mask, logits), 1) as Tensor1D;
}

/** Largest logit other than the one marked by `mask` (one-hot), per row; a tie goes to the first index. */
function maxOther(logits: Tensor2D, mask: Tensor2D): Tensor1D {
  const index = tf.argMax(tf.sub(logits, tf.mul(mask, 1e30)), 1);
  return pickLogit(logits, tf.cast(tf.oneHot(index, logits.shape[1]), 'float32') as Tensor2D);
}

/** A copy of `t` with no link to a gradient tape (tfjs has no stopGradient). */
function detached<T extends tf.Tensor>(t: T): T {
  return tf.tensor(t.dataSync(), t.shape, t.dtype) as T;
}

/** The k-th largest logit per row (k from 1). tfjs has no TopK gradient: the value is picked by a mask. */
function kthLargest(logits: Tensor2D, k: number): Tensor1D {
  const { indices } = tf.topk(detached(logits), k);
  const index = tf.squeeze(tf.slice(indices, [0, k - 1], [-1, 1]), [1]) as Tensor1D;
  return pickLogit(logits, tf.cast(tf.oneHot(index, logits.shape[1]), 'float32') as Tensor2D);
}

/** Per-input value of `loss` for these logits (differentiable in tfjs). */
export function lossOfLogits(logits: Tensor2D, loss: Loss): Tensor1D {
  return tf.tidy(() => {
    const [n, k] = logits.shape;
    switch (loss.kind) {
      case 'crossentropy': {
        const ce = tf.neg(tf.sum(tf.mul(oneHot(loss.labels, k), tf.logSoftmax(logits)), 1));
        return (loss.targeted ? tf.neg(ce) : ce) as Tensor1D;
      }
      case 'margin': {
        const mask = oneHot(loss.labels, k);
        const own = pickLogit(logits, mask);
        const other = maxOther(logits, mask);
        return (loss.targeted ? tf.sub(own, other) : tf.sub(other, own)) as Tensor1D;
      }
      case 'dlr': {
        const mask = oneHot(loss.labels, k);
        const own = pickLogit(logits, mask);
        const scale = tf.add(tf.sub(kthLargest(logits, 1), kthLargest(logits, 3)), 1e-12);
        return tf.neg(tf.div(tf.sub(own, maxOther(logits, mask)), scale)) as Tensor1D;
      }
      case 'dlr-targeted': {
        const own = pickLogit(logits, oneHot(loss.labels, k));
        const target = pickLogit(logits, oneHot(loss.targets, k));
        const third = kthLargest(logits, 3);
        const fourth = kthLargest(logits, 4);
        const scale = tf.add(tf.sub(kthLargest(logits, 1), tf.mul(tf.add(third, fourth), 0.5)), 1e-12);
        return tf.neg(tf.div(tf.sub(own, target), scale)) as Tensor1D;
      }
      case 'logits':
        return tf.sum(tf.mul(tf.tensor2d(loss.weights, [n, k]), logits), 1) as Tensor1D;
    }
  });
}

/** The loss of a batch tiled `times` (rows `[x; x; ...]`), e.g. for EOT over a tiled batch. */
export function repeatLoss(loss: Loss, times: number): Loss {
  const tile = (list: readonly number[]) => Array.from({ length: times }, () => list).flat();
  switch (loss.kind) {
    case 'logits': {
      const weights = new Float32Array(loss.weights.length * times);
      for (let t = 0; t < times; t++) weights.set(loss.weights, t * loss.weights.length);
      return { kind: 'logits', weights };
    }
    case 'dlr-targeted':
      return { ...loss, labels: tile(loss.labels), targets: tile(loss.targets) };
    default:
      return { ...loss, labels: tile(loss.labels) };
  }
}

/** The classic attack loss for a criterion's goal: cross-entropy away from labels or towards targets. */
export function crossEntropyLoss(labels: readonly number[], targeted: boolean): Loss {
  return { kind: 'crossentropy', labels, targeted };
}
