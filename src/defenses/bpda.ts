/**
 * Backward Pass Differentiable Approximation (Athalye, Carlini & Wagner 2018) and Expectation over
 * Transformation, the two tools of the adaptive attack on a projection defense.
 *
 * - `offTape(f)` runs `f` as if no gradient tape were recording: what it returns is a constant for any
 *   enclosing tf.grad (tfjs has no stopGradient), and `f` may run its own tf.grad / optimizer inside
 *   (a projection by gradient descent) without that inner loop being recorded on, or unrolled by, the
 *   outer tape.
 * - `straightThrough(x, y)` has the value of `y` (exactly) and the gradient of the identity in `x`:
 *   BPDA with g(x) ~ x for a preprocessing y = g(x) whose output stays close to its input.
 * - `expectationOverTransformation(model, samples)` averages the class probabilities of `samples`
 *   evaluations of a randomized model (each sees its own randomness) in one batched call: its logits are
 *   log E[softmax], whose gradient is the EOT gradient of the expected-probability loss.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import type { Model } from '../models/model.js';

interface EngineState {
  gradientDepth: number;
  activeTape: unknown[] | null;
  kernelDepth: number;
}

/** Runs `f` with the gradient tape switched off (and restored after, even on error). */
export function offTape<T>(f: () => T): T {
  const state = tf.engine().state as unknown as EngineState;
  const saved = {
    gradientDepth: state.gradientDepth,
    activeTape: state.activeTape,
    kernelDepth: state.kernelDepth,
  };
  if (saved.gradientDepth === 0 && saved.kernelDepth === 0) return f();
  state.gradientDepth = 0;
  state.activeTape = null;
  state.kernelDepth = 0;
  try {
    return f();
  } finally {
    state.gradientDepth = saved.gradientDepth;
    state.activeTape = saved.activeTape;
    state.kernelDepth = saved.kernelDepth;
  }
}

/** Exactly the value of y (bit for bit), with the gradient of the identity in x (a custom gradient). */
export function straightThrough<T extends tf.Tensor>(x: T, y: T): T {
  if (x.shape.join() !== y.shape.join())
    throw new Error(`straightThrough: shapes differ ([${x.shape}] vs [${y.shape}])`);
  const op = tf.customGrad(((xi: tf.Tensor) => ({
    value: offTape(() => tf.clone(y)),
    gradFunc: (dy: tf.Tensor) => [tf.reshape(dy, xi.shape)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x) as T;
}

/**
 * A model whose logits are log of the mean softmax over `samples` evaluations of `model` (which should
 * be randomized, e.g. a projection with fresh restarts per call). One batched call: the input is tiled
 * `samples` times. Gradients flow through every sample (EOT).
 */
export function expectationOverTransformation(
  model: Model,
  samples: number,
  name = `${model.name}+eot${samples}`,
): Model {
  if (!Number.isInteger(samples) || samples < 1)
    throw new Error(`expectationOverTransformation: samples must be an integer >= 1 (got ${samples})`);
  return {
    name,
    bounds: model.bounds,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    labels: model.labels,
    differentiable: model.differentiable,
    logits(x: Tensor4D): Tensor2D {
      return tf.tidy(() => {
        if (samples === 1) return model.logits(x);
        const n = x.shape[0];
        const tiled = tf.tile(x, [samples, 1, 1, 1]) as Tensor4D;
        const logits = tf.reshape(model.logits(tiled), [samples, n, model.numClasses]);
        // log mean_k softmax_k = logsumexp_k(logSoftmax_k) - log K
        return tf.sub(tf.logSumExp(tf.logSoftmax(logits, 2), 0), Math.log(samples)) as Tensor2D;
      });
    },
  };
}
