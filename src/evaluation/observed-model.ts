/**
 * A model that notes how an attack uses it: whether it asked for input gradients (a gradient attack) or
 * only for logits (black-box and noise attacks). The evaluation tells them apart this way, whatever the
 * attack's class, to flag gradient masking.
 */
import type { Tensor2D, Tensor4D } from '../engine/tf.js';
import type { Loss } from '../models/loss.js';
import type { LossGradient, Model } from '../models/model.js';

export class ObservedModel implements Model {
  /** lossGradient calls since the last reset. */
  gradientCalls = 0;

  constructor(private readonly inner: Model) {}

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

  logits(x: Tensor4D): Promise<Tensor2D> {
    return this.inner.logits(x);
  }

  lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
    this.gradientCalls++;
    return this.inner.lossGradient(x, loss);
  }

  /** The wrapped model stays the caller's: disposing the observer frees nothing. */
  dispose(): void {}
}
