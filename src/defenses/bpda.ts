/**
 * Tools of the adaptive attack on a projection defense (Athalye, Carlini & Wagner 2018).
 *
 * - BPDA (Backward Pass Differentiable Approximation) itself lives in the defended model: its
 *   `lossGradient` passes the classifier's gradient at the projection straight through (gan-projection.ts).
 * - `offTape(f)` runs `f` as if no gradient tape were recording: what it returns is a constant for any
 *   enclosing tf.grad (tfjs has no stopGradient), and `f` may run its own tf.grad / optimizer inside
 *   (a projection by gradient descent) without that inner loop being recorded on, or unrolled by, the
 *   outer tape.
 * - `expectationOverTransformation(model, samples)` (EOT) evaluates a randomized model `samples` times
 *   in one batched call (each sample sees its own randomness): its logits are log E[softmax], and its
 *   loss gradient is the mean of the samples' loss gradients, the gradient of the expected loss (as in
 *   Athalye et al.'s EOT and AutoAttack's 'rand' version).
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { repeatLoss, type Loss } from '../models/loss.js';
import type { LossGradient, Model } from '../models/model.js';

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

/** log of the mean softmax over the leading `samples` axis of logits `[samples * n, K]`. */
function logMeanSoftmax(logits: Tensor2D, samples: number): Tensor2D {
  return tf.tidy(() => {
    const [rows, k] = logits.shape;
    const stacked = tf.reshape(logits, [samples, rows / samples, k]);
    // log mean_s softmax_s = logsumexp_s(logSoftmax_s) - log S
    return tf.sub(tf.logSumExp(tf.logSoftmax(stacked, 2), 0), Math.log(samples)) as Tensor2D;
  });
}

/** Mean over the leading `samples` axis of a batch tensor `[samples * n, ...]`. */
function meanOverSamples<T extends tf.Tensor>(t: T, samples: number): T {
  return tf.tidy(() => tf.mean(tf.reshape(t, [samples, t.shape[0] / samples, ...t.shape.slice(1)]), 0) as T);
}

/**
 * EOT over `samples` evaluations of a randomized `model` (e.g. a projection with fresh restarts per
 * call), batched: the input is tiled `samples` times. See the file comment for logits and gradients.
 */
export function expectationOverTransformation(
  model: Model,
  samples: number,
  name = `${model.name}+eot${samples}`,
): Model {
  if (!Number.isInteger(samples) || samples < 1)
    throw new Error(`expectationOverTransformation: samples must be an integer >= 1 (got ${samples})`);
  const tiled = (x: Tensor4D) => tf.tile(x, [samples, 1, 1, 1]) as Tensor4D;
  return {
    name,
    bounds: model.bounds,
    inputShape: model.inputShape,
    numClasses: model.numClasses,
    labels: model.labels,
    differentiable: model.differentiable,
    engine: model.engine,
    async logits(x: Tensor4D): Promise<Tensor2D> {
      if (samples === 1) return model.logits(x);
      const batch = tiled(x);
      try {
        const logits = await model.logits(batch);
        const out = logMeanSoftmax(logits, samples);
        logits.dispose();
        return out;
      } finally {
        batch.dispose();
      }
    },
    async lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
      if (samples === 1) return model.lossGradient(x, loss);
      const batch = tiled(x);
      try {
        const r = await model.lossGradient(batch, repeatLoss(loss, samples));
        const out = {
          gradient: meanOverSamples(r.gradient, samples),
          logits: logMeanSoftmax(r.logits, samples),
          loss: meanOverSamples(r.loss, samples),
        };
        tf.dispose([r.gradient, r.logits, r.loss]);
        return out;
      } finally {
        batch.dispose();
      }
    },
    dispose(): void {},
  };
}
