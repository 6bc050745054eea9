/**
 * A model that notes how an attack uses it: whether it asked for input gradients (a gradient attack) or
 * only for logits (black-box and noise attacks). The evaluation tells them apart this way, whatever the
 * attack's class, to flag gradient masking.
 */
import type { Tensor4D } from '../engine/tf.js';
import type { Loss } from '../models/loss.js';
import type { LossGradient } from '../models/model.js';
import { DelegatingModel } from '../models/delegating-model.js';

export class ObservedModel extends DelegatingModel {
  /** lossGradient calls since the last reset. */
  gradientCalls = 0;

  override lossGradient(x: Tensor4D, loss: Loss): Promise<LossGradient> {
    this.gradientCalls++;
    return this.inner.lossGradient(x, loss);
  }
}
