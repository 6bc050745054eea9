/**
 * The tfjs side of the model seam: a model whose logits are TensorFlow.js ops run synchronously
 * (`forward`), so that `tf.grad` can differentiate them and other tfjs code (training, defenses, ensembles)
 * can compose them. `ForwardModel` turns such a forward function into the asynchronous `Model` every attack
 * uses: logits in a tidy, and the input gradient of a loss from one tf.grad pass that also keeps the
 * logits and the per-input loss.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { checkLoss, lossOfLogits, type Loss } from './loss.js';
import type { Bounds, EngineName, LossGradient, Model } from './model.js';

/** What a tfjs model adds to the seam: its logits as ops on a tfjs tensor (differentiable if the model is). */
export interface TfForward {
  forward(x: Tensor4D): Tensor2D;
}

export function hasForward(model: Model): model is Model & TfForward {
  return typeof (model as Partial<TfForward>).forward === 'function';
}

/** One backward pass of `loss` through `forward`, keeping the logits and per-input loss of the same pass. */
export function forwardLossGradient(
  forward: (x: Tensor4D) => Tensor2D,
  numClasses: number,
  x: Tensor4D,
  loss: Loss,
): LossGradient {
  checkLoss(loss, x.shape[0], numClasses);
  let logits: Tensor2D | null = null;
  let perInput: Tensor1D | null = null;
  const gradient = tf.tidy(() =>
    tf.grad((input: tf.Tensor) => {
      const out = forward(input as Tensor4D);
      logits = tf.keep(tf.clone(out));
      const values = lossOfLogits(out, loss);
      perInput = tf.keep(tf.clone(values));
      return tf.sum(values) as tf.Scalar;
    })(x),
  ) as Tensor4D;
  if (logits === null || perInput === null) throw new Error('lossGradient: the model returned no logits');
  return { gradient, logits, loss: perInput };
}

export interface ForwardModelOptions {
  name: string;
  bounds?: Bounds;
  inputShape: readonly [number, number, number];
  labels: readonly string[];
  differentiable?: boolean;
  engine?: EngineName;
}

/** Base of every model computed with tfjs ops: subclasses give `forward`. */
export abstract class ForwardModel implements Model, TfForward {
  abstract readonly name: string;
  abstract readonly bounds: Bounds;
  abstract readonly inputShape: readonly [number, number, number];
  abstract readonly numClasses: number;
  abstract readonly labels: readonly string[];
  abstract readonly differentiable: boolean;
  readonly engine: EngineName = 'tfjs';

  abstract forward(x: Tensor4D): Tensor2D;

  async logits(x: Tensor4D): Promise<Tensor2D> {
    return tf.tidy(() => this.forward(x));
  }

  async lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
    if (!this.differentiable)
      throw new Error(`model ${this.name} is not differentiable: it has no input gradients`);
    return forwardLossGradient((input) => this.forward(input), this.numClasses, x, loss);
  }

  dispose(): void {}
}

/** A model from a plain tfjs function of the input (foolbox's function models). */
export function functionModel(
  forward: (x: Tensor4D) => Tensor2D,
  options: ForwardModelOptions,
): ForwardModel & { numClasses: number } {
  const bounds = options.bounds ?? [0, 1];
  return new (class extends ForwardModel {
    readonly name = options.name;
    readonly bounds = bounds;
    readonly inputShape = options.inputShape;
    readonly numClasses = options.labels.length;
    readonly labels = options.labels;
    readonly differentiable = options.differentiable ?? true;
    override readonly engine = options.engine ?? 'tfjs';
    forward(x: Tensor4D): Tensor2D {
      return forward(x);
    }
  })();
}
