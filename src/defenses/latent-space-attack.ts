/**
 * The on-manifold attack on a projection defense (Athalye, Carlini & Wagner 2018, section 5.4 on
 * Defense-GAN; the "overpowered attack" of Jalal et al.'s robust manifold defense): instead of pushing
 * pixels and hoping the projection follows, search the generator's latent space for a code z whose image
 * G(z) the classifier gets wrong while G(z) stays within eps of the input, then hand the defense the
 * point of the eps ball nearest to G(z). A point (almost) on the generator's range projects (almost)
 * onto itself, so the projection cannot undo the attack.
 *
 * Per input, from the code z* of the input's own projection, Adam on z minimises
 *   max(0, kappa - margin(classifier(G(z)))) + distanceWeight * mean((|G(z) - x| - eps)_+^2)
 * (margin: the best other logit minus the label's for untargeted criteria, the target's minus the best
 * other for targeted ones; the `margin` loss of the model seam), and returns x' = clip(x + clip(G(z) - x, -eps, eps), bounds): the Linf-ball point
 * closest to G(z). Success is judged, as for every attack, by running the defended model on x'.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { FixedEpsilonAttack, type AttackContext } from '../attacks/attack.js';
import { attackGoal } from '../attacks/loss-gradient.js';
import { GanProjectionModel, projectOntoGenerator } from './gan-projection.js';

export interface LatentSpaceAttackOptions {
  /** Adam steps on z (default 200). */
  steps?: number;
  /** Adam learning rate on z (default 0.05). */
  lr?: number;
  /** Weight of the squared distance of G(z) outside the eps ball (per-pixel mean; default 100). */
  distanceWeight?: number;
  /** Logit margin the attack aims past the decision boundary (default 2). */
  kappa?: number;
  /** Seed of the starting projection (default 0). */
  seed?: number;
}

export class LatentSpaceAttack extends FixedEpsilonAttack {
  readonly name = 'latent-space';
  readonly norm = 'linf' as const;
  readonly options: Required<LatentSpaceAttackOptions>;

  constructor(options: LatentSpaceAttackOptions = {}) {
    super();
    const o = { steps: 200, lr: 0.05, distanceWeight: 100, kappa: 2, seed: 0 };
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) (o as Record<string, number>)[key] = value as number;
    }
    if (!Number.isInteger(o.steps) || o.steps < 0)
      throw new Error(`latent-space attack: steps must be an integer >= 0 (got ${o.steps})`);
    for (const key of ['lr', 'distanceWeight', 'kappa'] as const) {
      if (!Number.isFinite(o[key]) || o[key] < 0 || (key === 'lr' && o[key] === 0))
        throw new Error(
          `latent-space attack: ${key} must be a ${key === 'lr' ? 'positive' : 'non-negative'} number (got ${o[key]})`,
        );
    }
    if (!Number.isInteger(o.seed))
      throw new Error(`latent-space attack: seed must be an integer (got ${o.seed})`);
    this.options = o;
  }

  describe(): Record<string, unknown> {
    return { ...this.options };
  }

  protected async attack(inputs: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion, progress } = context;
    if (!(model instanceof GanProjectionModel)) {
      throw new Error(
        `latent-space attack: model ${model.name} is not a GAN projection defense (make it with defenses.ganProjection)`,
      );
    }
    const goal = attackGoal(criterion, 'latent-space attack');
    if (eps === 0) return tf.clone(inputs);
    const { generator, classifier } = model;
    const [lo, hi] = model.bounds;
    const o = this.options;
    const start = projectOntoGenerator(generator, inputs, { ...model.options, seed: o.seed });
    start.reconstruction.dispose();
    const z = tf.variable(start.codes, true);
    const optimizer = tf.train.adam(o.lr);
    const n = inputs.shape[0];
    // The margin (best other logit minus the label's, or the target's minus the best other) comes from the
    // classifier through the model seam, so the classifier may run on any engine; the chain rule through G
    // is tfjs: d/dz sum(G(z) * dMarginCost/dImages) + the distance term.
    const margin = { kind: 'margin', labels: goal.labels, targeted: goal.targeted } as const;
    try {
      for (let step = 0; step < o.steps; step++) {
        const images = tf.tidy(() => generator.apply(z, { training: false }) as Tensor4D);
        let imageGradient: Tensor4D;
        try {
          const r = await classifier.lossGradient(images, margin);
          // cost = relu(kappa - margin): gradient -dMargin where margin < kappa, else 0
          imageGradient = tf.tidy(() => {
            const active = tf.cast(tf.less(r.loss, o.kappa), 'float32');
            return tf.mul(tf.neg(r.gradient), tf.reshape(active, [n, 1, 1, 1])) as Tensor4D;
          });
          tf.dispose([r.gradient, r.logits, r.loss]);
        } finally {
          images.dispose();
        }
        const grads = tf.tidy(() =>
          tf.grads((code: tf.Tensor) => {
            const generated = generator.apply(code, { training: false }) as Tensor4D;
            const outside = tf.relu(tf.sub(tf.abs(tf.sub(generated, inputs)), eps));
            const distance = tf.mean(tf.reshape(tf.square(outside), [n, -1]), 1);
            return tf.add(
              tf.sum(tf.mul(generated, imageGradient)),
              tf.mul(tf.sum(distance), o.distanceWeight),
            );
          })([z]),
        );
        imageGradient.dispose();
        optimizer.applyGradients([{ name: z.name, tensor: grads[0] }]);
        tf.dispose(grads);
        progress(step + 1, o.steps);
        if (step % 20 === 19) await tf.nextFrame();
      }
      return tf.tidy(() => {
        const images = generator.apply(z as Tensor2D, { training: false }) as Tensor4D;
        const delta = tf.clipByValue(tf.sub(images, inputs), -eps, eps);
        return tf.clipByValue(tf.add(inputs, delta), lo, hi) as Tensor4D;
      });
    } finally {
      tf.dispose([z, start.codes]);
      optimizer.dispose();
    }
  }
}
