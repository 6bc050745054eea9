/**
 * Fast Minimum-Norm attacks (Pintor et al. 2021) in L1, L2 and Linf, with foolbox 3's FMN semantics and
 * defaults (100 steps, step size annealed from 1 to 0.01, gamma annealed from 0.05 to 0.001; no
 * initialisation attack).
 *
 * Each step moves the perturbation along the L2-normalised gradient of the logit margin (the seam's
 * `margin` loss, ascended) and projects it onto the Lp ball of radius eps, a budget per input: while no
 * adversarial was found, eps is the current norm plus the linearised distance to the boundary,
 * `|margin| / ||gradient||_dual`; then it shrinks by (1 - gamma) while the iterate is adversarial (at most
 * the best norm so far) and grows by (1 + gamma) while it is not, never beyond the largest distance to the
 * bounds' corners. The smallest adversarial iterate is kept.
 *
 * Where advx differs from foolbox 3.3.4: its L2 projection computes `min(1, ||x|| / ||x||)`, i.e. never
 * projects; advx projects onto the L2 ball as the paper does (`delta * min(1, eps / ||delta||)`).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { clipToBounds, type Norm } from '../distances/index.js';
import type { Loss } from '../models/loss.js';
import { disposeLossGradient, type LossGradient } from '../models/model.js';
import { criterionFlags, MinimizationAttack, type AttackContext } from './attack.js';
import { BestAdversarial } from './best-adversarial.js';
import { cosineAnnealing } from './cosine-annealing.js';
import { attackGoal, requireDifferentiable } from './loss-gradient.js';
import { checkPositive, withDefaults } from './minimization-options.js';
import { checkInteger } from './option-checks.js';
import { projectRows, rowNorms, unitL2Rows, valuesAndDispose } from './per-input.js';

export interface FMNOptions {
  steps?: number;
  /** The step size at the first step (annealed down to minStepsize). */
  maxStepsize?: number;
  /** The step size at the end; default maxStepsize / 100. */
  minStepsize?: number;
  /** The budget's relative change at the first step (annealed down to 0.001). */
  gamma?: number;
}

type FMNNorm = Exclude<Norm, 'l0'>;

const DUAL: Record<FMNNorm, FMNNorm> = { l1: 'linf', l2: 'l2', linf: 'l1' };
const FINAL_GAMMA = 0.001;

abstract class FastMinimumNorm extends MinimizationAttack {
  abstract override readonly norm: FMNNorm;
  private readonly o: Required<FMNOptions>;

  constructor(options: FMNOptions) {
    super();
    const maxStepsize = options.maxStepsize ?? 1;
    this.o = withDefaults({ steps: 100, maxStepsize, minStepsize: maxStepsize / 100, gamma: 0.05 }, options);
    checkInteger(this.constructor.name, 'steps', this.o.steps, 1);
    checkPositive(this.constructor.name, 'maxStepsize', this.o.maxStepsize);
    checkPositive(this.constructor.name, 'minStepsize', this.o.minStepsize);
    if (!(this.o.gamma > 0 && this.o.gamma < 1))
      throw new Error(`${this.constructor.name}: gamma must be in (0, 1) (got ${this.o.gamma})`);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async minimize(x0: Tensor4D, { model, criterion, progress }: AttackContext): Promise<Tensor4D> {
    requireDifferentiable(model, this.name);
    const goal = attackGoal(criterion, this.name);
    const loss: Loss = { kind: 'margin', labels: goal.labels, targeted: goal.targeted };
    const { steps } = this.o;
    const [lo, hi] = model.bounds;
    const worst = valuesAndDispose(
      tf.tidy(() => rowNorms(tf.maximum(tf.sub(x0, lo), tf.sub(hi, x0)), this.norm)),
    );
    let epsilon = new Array<number>(x0.shape[0]).fill(Infinity);
    const found = new Array<boolean>(x0.shape[0]).fill(false);
    const best = new BestAdversarial(x0);
    let delta = tf.zerosLike(x0);
    try {
      for (let step = 0; step < steps; step++) {
        const stepsize = cosineAnnealing(step, steps, this.o.maxStepsize, this.o.minStepsize);
        const gamma = cosineAnnealing(step, steps, this.o.gamma, FINAL_GAMMA);
        const x = tf.add(x0, delta) as Tensor4D;
        let result: LossGradient | null = null;
        try {
          result = await model.lossGradient(x, loss);
          const { gradient } = result;
          const adversarial = criterionFlags(criterion, x, result.logits);
          const norms = valuesAndDispose(rowNorms(delta, this.norm));
          best.update(x, adversarial, norms, true);
          adversarial.forEach((a, n) => (found[n] = found[n] || a));
          const margins = valuesAndDispose(tf.abs(result.loss));
          const dualNorms = valuesAndDispose(rowNorms(gradient, DUAL[this.norm]));
          epsilon = epsilon.map((e, n) => {
            const next = adversarial[n]
              ? Math.min(e * (1 - gamma), best.norms[n])
              : found[n]
                ? e * (1 + gamma)
                : norms[n] + (dualNorms[n] > 0 ? margins[n] / dualNorms[n] : Infinity);
            return Math.min(next, worst[n]);
          });
          const previous = delta;
          delta = tf.tidy(() => {
            const moved = tf.add(previous, tf.mul(unitL2Rows(gradient), stepsize)) as Tensor4D;
            const projected = projectRows(moved, this.norm, tf.tensor1d(epsilon));
            return tf.sub(clipToBounds(tf.add(x0, projected), model.bounds), x0) as Tensor4D;
          });
          previous.dispose();
        } finally {
          if (result !== null) disposeLossGradient(result);
          x.dispose();
        }
        progress(step + 1, steps);
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
}

/** FMN in L1 (foolbox's L1FMNAttack). */
export class L1FastMinimumNorm extends FastMinimumNorm {
  readonly name = 'l1-fmn';
  readonly norm: FMNNorm = 'l1';
  constructor(options: FMNOptions = {}) {
    super(options);
  }
}

/** FMN in L2 (foolbox's L2FMNAttack, with the projection onto the L2 ball that foolbox's lacks). */
export class L2FastMinimumNorm extends FastMinimumNorm {
  readonly name = 'l2-fmn';
  readonly norm: FMNNorm = 'l2';
  constructor(options: FMNOptions = {}) {
    super(options);
  }
}

/** FMN in Linf (foolbox's LInfFMNAttack). */
export class LinfFastMinimumNorm extends FastMinimumNorm {
  readonly name = 'linf-fmn';
  readonly norm: FMNNorm = 'linf';
  constructor(options: FMNOptions = {}) {
    super(options);
  }
}
