/**
 * Salt-and-pepper noise (foolbox 3's SaltAndPepperNoiseAttack), a minimization attack in L2: pixels are
 * set to the lower (pepper) or upper (salt) bound with a probability that grows until the input is
 * adversarial; each repetition keeps the smallest adversarial found and lowers the maximum probability
 * to 1.2 times the one that worked.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import type { Norm } from '../distances/index.js';
import { perturbationNorm } from '../distances/index.js';
import { evaluateCriterion, MinimizationAttack, type AttackContext } from './attack.js';
import { checkAttackSeed, checkInteger } from './option-checks.js';

export interface SaltAndPepperOptions {
  /** Probability steps per repetition. */
  steps?: number;
  repetitions?: number;
  /** Apply the same salt/pepper to all channels of a pixel. */
  acrossChannels?: boolean;
  seed?: number;
}

export class SaltAndPepperNoise extends MinimizationAttack {
  readonly name = 'salt-and-pepper';
  readonly norm: Norm = 'l2';
  private readonly o: Required<SaltAndPepperOptions>;

  constructor(options: SaltAndPepperOptions = {}) {
    super();
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.o = { steps: 100, repetitions: 5, acrossChannels: true, seed: 0, ...given };
    checkInteger('salt-and-pepper', 'steps', this.o.steps, 1);
    checkInteger('salt-and-pepper', 'repetitions', this.o.repetitions, 1);
    checkAttackSeed('salt-and-pepper', this.o.seed);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async minimize(x0: Tensor4D, { model, criterion, progress }: AttackContext): Promise<Tensor4D> {
    const [n, h, w, c] = x0.shape;
    const [lo, hi] = model.bounds;
    const rng = new Rng(this.o.seed);
    const noiseShape = this.o.acrossChannels ? [n, h, w, 1] : [n, h, w, c];
    let best = tf.clone(x0);
    const bestNorm = new Array<number>(n).fill(Infinity);
    const maxP = new Array<number>(n).fill(1);
    const total = this.o.repetitions * this.o.steps;
    for (let r = 0; r < this.o.repetitions; r++) {
      for (let s = 1; s <= this.o.steps; s++) {
        const p = maxP.map((m) => (m * s) / this.o.steps);
        const candidate = tf.tidy(() => {
          const u = rng.uniform(noiseShape);
          const half = tf.reshape(tf.tensor1d(p.map((v) => v / 2)), [n, 1, 1, 1]);
          const pepper = tf.broadcastTo(tf.less(u, half), x0.shape);
          const salt = tf.broadcastTo(tf.greaterEqual(u, tf.sub(1, half)), x0.shape);
          return tf.where(
            salt,
            tf.fill(x0.shape, hi),
            tf.where(pepper, tf.fill(x0.shape, lo), x0),
          ) as Tensor4D;
        });
        let success: boolean[];
        try {
          success = await evaluateCriterion(model, criterion, candidate);
        } catch (error) {
          tf.dispose([candidate, best]);
          throw error;
        }
        const normTensor = tf.tidy(() => perturbationNorm(tf.sub(candidate, x0), 'l2'));
        const norms = Array.from(normTensor.dataSync());
        normTensor.dispose();
        const better = success.map((ok, i) => ok && norms[i] < bestNorm[i]);
        if (better.some(Boolean)) {
          const previous = best;
          best = tf.tidy(() => {
            const mask = tf.reshape(tf.tensor1d(better.map(Number), 'bool'), [n, 1, 1, 1]);
            return tf.where(tf.broadcastTo(mask, x0.shape), candidate, previous) as Tensor4D;
          });
          previous.dispose();
          better.forEach((b, i) => {
            if (b) {
              bestNorm[i] = norms[i];
              maxP[i] = Math.min(1, p[i] * 1.2);
            }
          });
        }
        candidate.dispose();
        progress(r * this.o.steps + s, total);
      }
    }
    return best;
  }
}
