/** Adam (Kingma & Ba 2015) on one tensor, as foolbox's AdamOptimizer: `step(gradient)` is what to subtract. */
import { tf, type Tensor4D } from '../engine/tf.js';

export class Adam {
  private m: Tensor4D;
  private v: Tensor4D;
  private t = 0;

  constructor(
    shape: readonly [number, number, number, number],
    private readonly stepsize: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.m = tf.zeros(shape as [number, number, number, number]);
    this.v = tf.zeros(shape as [number, number, number, number]);
  }

  /** The update for this gradient (to subtract when minimising). */
  step(gradient: Tensor4D): Tensor4D {
    this.t += 1;
    const [m, v] = [this.m, this.v];
    // Kept: the moments outlive any tidy the caller may run this step in.
    this.m = tf.keep(
      tf.tidy(() => tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1)) as Tensor4D),
    );
    this.v = tf.keep(
      tf.tidy(() => tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2)) as Tensor4D),
    );
    tf.dispose([m, v]);
    const correction1 = 1 - this.beta1 ** this.t;
    const correction2 = 1 - this.beta2 ** this.t;
    return tf.tidy(() => {
      const mHat = tf.div(this.m, correction1);
      const vHat = tf.div(this.v, correction2);
      return tf.div(tf.mul(mHat, this.stepsize), tf.add(tf.sqrt(vHat), this.epsilon)) as Tensor4D;
    });
  }

  dispose(): void {
    tf.dispose([this.m, this.v]);
  }
}
