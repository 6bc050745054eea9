/**
 * Decoupled Direction and Norm (Rony et al. 2019), L2, with foolbox 3's DDNAttack semantics and defaults.
 *
 * Each step moves the perturbation along the L2-normalised gradient of the cross-entropy (ascended;
 * targeted: descended towards the target) with a step size annealed from 1 to 0.01 (cosine), then rescales
 * it to norm eps, an L2 budget per input that shrinks by (1 - gamma) while the iterate is adversarial and
 * grows by (1 + gamma) while it is not (at most the largest distance to the bounds' corners), and clips
 * into bounds. The smallest adversarial iterate is kept. An all-zero gradient is replaced by Gaussian
 * noise (seeded).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { clipToBounds, type Norm } from '../distances/index.js';
import { crossEntropyLoss } from '../models/loss.js';
import { disposeLossGradient, type LossGradient } from '../models/model.js';
import { criterionFlags, MinimizationAttack, type AttackContext } from './attack.js';
import { BestAdversarial } from './best-adversarial.js';
import { cosineAnnealing } from './cosine-annealing.js';
import { attackGoal, requireDifferentiable } from './loss-gradient.js';
import { checkPositive, withDefaults } from './minimization-options.js';
import { checkInteger } from './option-checks.js';
import {
  perRow,
  perturbationNormValues,
  rowNorms,
  selectRows,
  unitL2Rows,
  valuesAndDispose,
} from './per-input.js';

export interface DDNOptions {
  steps?: number;
  /** The L2 budget every input starts with. */
  initEpsilon?: number;
  /** Relative change of the budget per step. */
  gamma?: number;
  /** Seed of the noise that replaces a vanishing gradient. */
  seed?: number;
}

const DEFAULTS: Required<DDNOptions> = { steps: 100, initEpsilon: 1, gamma: 0.05, seed: 0 };
const MAX_STEPSIZE = 1;
const MIN_STEPSIZE = 0.01;

export class DDN extends MinimizationAttack {
  readonly name = 'ddn';
  readonly norm: Norm = 'l2';
  private readonly o: Required<DDNOptions>;

  constructor(options: DDNOptions = {}) {
    super();
    this.o = withDefaults(DEFAULTS, options);
    checkInteger(this.name, 'steps', this.o.steps, 1);
    checkPositive(this.name, 'initEpsilon', this.o.initEpsilon);
    if (!(this.o.gamma > 0 && this.o.gamma < 1))
      throw new Error(`${this.name}: gamma must be in (0, 1) (got ${this.o.gamma})`);
    if (!Number.isFinite(this.o.seed)) throw new Error(`${this.name}: seed must be a finite number`);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async minimize(x0: Tensor4D, { model, criterion, progress }: AttackContext): Promise<Tensor4D> {
    requireDifferentiable(model, this.name);
    const goal = attackGoal(criterion, this.name);
    const loss = crossEntropyLoss(goal.labels, goal.targeted);
    const rng = new Rng(this.o.seed);
    const [lo, hi] = model.bounds;
    const worst = valuesAndDispose(tf.tidy(() => rowNorms(tf.maximum(tf.sub(x0, lo), tf.sub(hi, x0)), 'l2')));
    let epsilon = new Array<number>(x0.shape[0]).fill(this.o.initEpsilon);
    const best = new BestAdversarial(x0);
    let delta = tf.zerosLike(x0);
    try {
      for (let step = 0; step < this.o.steps; step++) {
        const stepsize = cosineAnnealing(step, this.o.steps, MAX_STEPSIZE, MIN_STEPSIZE);
        const x = tf.add(x0, delta) as Tensor4D;
        let result: LossGradient | null = null;
        try {
          result = await model.lossGradient(x, loss);
          const adversarial = criterionFlags(criterion, x, result.logits);
          best.update(x, adversarial, perturbationNormValues(x, x0, 'l2'), true);
          const direction = this.direction(result.gradient, rng);
          epsilon = epsilon.map((e, n) =>
            Math.min(e * (adversarial[n] ? 1 - this.o.gamma : 1 + this.o.gamma), worst[n]),
          );
          const previous = delta;
          delta = tf.tidy(() => {
            const moved = tf.add(previous, tf.mul(direction, stepsize)) as Tensor4D;
            const rescaled = tf.mul(
              moved,
              perRow(tf.div(tf.tensor1d(epsilon), rowNorms(moved, 'l2'))),
            ) as Tensor4D;
            return tf.sub(clipToBounds(tf.add(x0, rescaled), model.bounds), x0) as Tensor4D;
          });
          tf.dispose([previous, direction]);
        } finally {
          if (result !== null) disposeLossGradient(result);
          x.dispose();
        }
        progress(step + 1, this.o.steps);
        if (step % 8 === 7) await yieldToEventLoop();
      }
    } catch (error) {
      best.dispose();
      throw error;
    } finally {
      delta.dispose();
    }
    return best.take();
  }

  /** The L2-normalised gradient; inputs whose gradient vanishes get a random direction instead. */
  private direction(gradient: Tensor4D, rng: Rng): Tensor4D {
    const norms = valuesAndDispose(rowNorms(gradient, 'l2'));
    const vanished = norms.map((v) => v === 0);
    if (!vanished.some(Boolean)) return unitL2Rows(gradient);
    return tf.tidy(() => unitL2Rows(selectRows(vanished, rng.normal(gradient.shape) as Tensor4D, gradient)));
  }
}
