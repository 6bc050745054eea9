/**
 * Additive noise attacks (foolbox 3): Gaussian or uniform noise scaled to the eps ball, added, clipped
 * into bounds. With `repeats` > 1 each input gets up to that many draws and keeps the first that
 * satisfies the criterion (foolbox's Repeated...Attack: best of n).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { clipToBounds, normalizeGradient, type Norm } from '../distances/index.js';
import { evaluateCriterion, FixedEpsilonAttack, type AttackContext } from './attack.js';
import { checkAttackSeed, checkInteger } from './option-checks.js';

export interface NoiseOptions {
  /** Draws per input; the first successful one is kept. */
  repeats?: number;
  seed?: number;
}

abstract class AdditiveNoiseAttack extends FixedEpsilonAttack {
  protected readonly repeats: number;
  protected readonly seed: number;

  constructor(options: NoiseOptions) {
    super();
    this.repeats = options.repeats ?? 1;
    this.seed = options.seed ?? 0;
    checkInteger(this.constructor.name, 'repeats', this.repeats, 1);
    checkAttackSeed(this.constructor.name, this.seed);
  }

  describe(): Record<string, unknown> {
    return { repeats: this.repeats, seed: this.seed };
  }

  /** Noise of the attack's norm and size eps for a batch of this shape. */
  protected abstract sample(shape: number[], eps: number, rng: Rng): Tensor4D;

  protected async attack(
    x0: Tensor4D,
    eps: number,
    { model, criterion, progress }: AttackContext,
  ): Promise<Tensor4D> {
    const rng = new Rng(this.seed);
    let best: Tensor4D | null = null;
    let found: boolean[] = new Array(x0.shape[0]).fill(false);
    try {
      for (let r = 0; r < this.repeats; r++) {
        const candidate = tf.tidy(() =>
          clipToBounds(tf.add(x0, this.sample(x0.shape, eps, rng)) as Tensor4D, model.bounds),
        );
        if (best === null) {
          best = candidate;
          found = await evaluateCriterion(model, criterion, best);
        } else {
          let success: boolean[];
          try {
            success = await evaluateCriterion(model, criterion, candidate);
          } catch (error) {
            candidate.dispose();
            throw error;
          }
          const take = success.map((s, n) => s && !found[n]);
          const previous: Tensor4D = best;
          best = tf.tidy(() => {
            const mask = tf.reshape(tf.tensor1d(take.map(Number), 'bool'), [take.length, 1, 1, 1]);
            return tf.where(tf.broadcastTo(mask, x0.shape), candidate, previous) as Tensor4D;
          });
          tf.dispose([previous, candidate]);
          found = found.map((f, n) => f || success[n]);
        }
        progress(r + 1, this.repeats);
        if (found.every(Boolean)) break;
      }
    } catch (error) {
      best?.dispose();
      throw error;
    }
    return best as Tensor4D;
  }
}

/** Gaussian noise scaled to L2 norm eps. */
export class L2AdditiveGaussianNoise extends AdditiveNoiseAttack {
  readonly name = 'l2-gaussian-noise';
  readonly norm: Norm = 'l2';
  protected sample(shape: number[], eps: number, rng: Rng): Tensor4D {
    return tf.tidy(() => tf.mul(normalizeGradient(rng.normal(shape), 'l2'), eps)) as Tensor4D;
  }
}

/** Uniform noise in [-1,1] scaled to L2 norm eps. */
export class L2AdditiveUniformNoise extends AdditiveNoiseAttack {
  readonly name = 'l2-uniform-noise';
  readonly norm: Norm = 'l2';
  protected sample(shape: number[], eps: number, rng: Rng): Tensor4D {
    return tf.tidy(() => tf.mul(normalizeGradient(rng.uniform(shape, -1, 1), 'l2'), eps)) as Tensor4D;
  }
}

/** Uniform noise in [-eps, eps] per pixel. */
export class LinfAdditiveUniformNoise extends AdditiveNoiseAttack {
  readonly name = 'linf-uniform-noise';
  readonly norm: Norm = 'linf';
  protected sample(shape: number[], eps: number, rng: Rng): Tensor4D {
    return rng.uniform(shape, -eps, eps) as Tensor4D;
  }
}
