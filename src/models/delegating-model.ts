/**
 * A model that answers as another one does: its description, logits and gradients are the inner model's.
 * Wrappers that watch or restrict a model (an observer counting gradient calls, a test model counting
 * queries) extend it and override what they change. Disposing it frees nothing: the inner model stays
 * its owner's.
 */
import type { Tensor2D, Tensor4D } from '../engine/tf.js';
import type { Loss } from './loss.js';
import type { LossGradient, Model } from './model.js';

export class DelegatingModel implements Model {
  constructor(protected readonly inner: Model) {}

  get name() {
    return this.inner.name;
  }
  get bounds() {
    return this.inner.bounds;
  }
  get inputShape() {
    return this.inner.inputShape;
  }
  get numClasses() {
    return this.inner.numClasses;
  }
  get labels() {
    return this.inner.labels;
  }
  get differentiable() {
    return this.inner.differentiable;
  }
  get engine() {
    return this.inner.engine;
  }
  get outputs() {
    return this.inner.outputs;
  }

  logits(x: Tensor4D): Promise<Tensor2D> {
    return this.inner.logits(x);
  }

  lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
    return this.inner.lossGradient(x, loss);
  }

  dispose(): void {}
}
