/**
 * The on-manifold attack on a projection defense (Athalye, Carlini & Wagner 2018, section 5.4 on
 * Defense-GAN; the "overpowered attack" of Jalal et al.'s robust manifold defense): instead of pushing
 * pixels and hoping the projection follows, search the generator's latent space for a code z whose image
 * G(z) the classifier gets wrong while G(z) stays within eps of the input, then hand the defense the
 * point of the eps ball nearest to G(z). A point (almost) on the generator's range projects (almost)
 * onto itself, so the projection cannot undo the attack.
 *
 * Per input, from the code z* of the input's own projection, Adam on z minimises
 *   max(0, margin(classifier(G(z))) + kappa) + distanceWeight * mean((|G(z) - x| - eps)_+^2)
 * (margin: correct logit minus the best other for untargeted criteria, best other minus the target's for
 * targeted ones), and returns x' = clip(x + clip(G(z) - x, -eps, eps), bounds): the Linf-ball point
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
    const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(goal.labels as number[], 'int32'), model.numClasses));
    const sign = goal.targeted ? -1 : 1;
    const cost = () =>
      tf.tidy(() => {
        const images = generator.apply(z, { training: false }) as Tensor4D;
        const logits = classifier.logits(images);
        const labelled = tf.sum(tf.mul(logits, onehot), 1);
        const others = tf.max(tf.sub(logits, tf.mul(onehot, 1e9)), 1);
        const margin = tf.relu(tf.add(tf.mul(sign, tf.sub(labelled, others)), o.kappa));
        const outside = tf.relu(tf.sub(tf.abs(tf.sub(images, inputs)), eps));
        const distance = tf.mean(tf.reshape(tf.square(outside), [n, -1]), 1);
        return tf.sum(tf.add(margin, tf.mul(distance, o.distanceWeight))) as tf.Scalar;
      });
    try {
      for (let step = 0; step < o.steps; step++) {
        optimizer.minimize(cost, false, [z]);
        progress(step + 1, o.steps);
        if (step % 20 === 19) await tf.nextFrame();
      }
      return tf.tidy(() => {
        const images = generator.apply(z as Tensor2D, { training: false }) as Tensor4D;
        const delta = tf.clipByValue(tf.sub(images, inputs), -eps, eps);
        return tf.clipByValue(tf.add(inputs, delta), lo, hi) as Tensor4D;
      });
    } finally {
      tf.dispose([z, onehot, start.codes]);
      optimizer.dispose();
    }
  }
}
