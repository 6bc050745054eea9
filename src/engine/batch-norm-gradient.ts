/**
 * A FusedBatchNorm gradient without tfjs-core's waste: core's derX tiles the per-channel factor up to the
 * full activation shape, and it computes (x - mean) and dy * scale eagerly even when only dx is wanted
 * (an attack). Here every derivative is lazy and broadcasting replaces the tile. Same formulas as core.
 */
import { tf } from './tf.js';

let registered = false;

export function registerBatchNormGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const g = dy as tf.Tensor;
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const reduce = (t: tf.Tensor) =>
        tf.reshape(reductionAxes.length > 0 ? tf.sum(t, reductionAxes) : t, mean.shape);
      const rsqrt = () => tf.rsqrt(tf.add(variance, varianceEpsilon));
      const scaled = (t: tf.Tensor) => (scale == null ? t : tf.mul(t, scale));
      return {
        x: () => tf.mul(g, scaled(rsqrt())),
        mean: () => reduce(tf.mul(g, tf.neg(scaled(rsqrt())))),
        variance: () => {
          const r = rsqrt();
          const minusHalfRCube = tf.mul(tf.mul(tf.mul(r, r), r), -0.5);
          return reduce(tf.mul(tf.mul(g, tf.sub(x, mean)), scaled(minusHalfRCube)));
        },
        scale: () => reduce(tf.mul(g, tf.mul(tf.sub(x, mean), rsqrt()))),
        offset: () => reduce(g),
      };
    },
  });
}
