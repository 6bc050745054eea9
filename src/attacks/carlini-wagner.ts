/**
 * Carlini & Wagner's L2 attack (2017), with foolbox 3's L2CarliniWagnerAttack semantics and defaults.
 *
 * The perturbed input is `x = tanh(w + delta) * b + a` (the bounds' centre a and half-width b, with
 * `w = arctanh((x0 - a) / b * 0.999999)`), so every iterate is in bounds. Adam minimises, per input,
 * `c * max(0, z_y - max_{i != y} z_i + kappa) + ||x - x0'||^2` (targeted: `max_{i != t} z_i - z_t + kappa`),
 * and a binary search over the constant c (exponential until an adversarial is found, then bisection)
 * looks for the smallest c that still gives one. Adam stops early when the batch's total loss has not
 * dropped by 0.01% over a tenth of the steps. The smallest adversarial of all steps is kept; an iterate
 * counts as adversarial when the criterion holds with the label's logit raised (targeted: the target's
 * lowered) by kappa.
 *
 * Through the model seam, the hinge's gradient is the `margin` loss's (`max_{i != y} z_i - z_y`, ascended):
 * `-c * d margin / dx` where the hinge is active, chained through tanh with the norm term's gradient.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import type { Norm } from '../distances/index.js';
import type { Loss } from '../models/loss.js';
import { disposeLossGradient, type LossGradient } from '../models/model.js';
import { Adam } from './adam.js';
import { criterionFlags, MinimizationAttack, type AttackContext } from './attack.js';
import { BestAdversarial } from './best-adversarial.js';
import { attackGoal, requireDifferentiable } from './loss-gradient.js';
import { perRow, perturbationNormValues } from './per-input.js';
import { checkNonNegative, checkPositive, withDefaults } from './minimization-options.js';
import { checkInteger } from './option-checks.js';

export interface CarliniWagnerOptions {
  /** Steps of the binary search over the constant c. */
  binarySearchSteps?: number;
  /** Adam steps per binary search step. */
  steps?: number;
  /** Adam's step size (in the tanh space). */
  stepsize?: number;
  /** kappa: the logit margin an adversarial must have. */
  confidence?: number;
  /** The constant c the binary search starts from. */
  initialConst?: number;
  /** Stop Adam when the loss stalls (does not affect the binary search). */
  abortEarly?: boolean;
}

const DEFAULTS: Required<CarliniWagnerOptions> = {
  binarySearchSteps: 9,
  steps: 10000,
  stepsize: 0.01,
  confidence: 0,
  initialConst: 1e-3,
  abortEarly: true,
};

/** Shrinks inputs slightly so that arctanh stays finite at the bounds (foolbox's factor). */
const TANH_SHRINK = 0.999999;

/** The change of variables `x = tanh(w0 + delta) * b + a` and what one run keeps fixed. */
interface TanhSpace {
  x0: Tensor4D;
  /** a and b: the bounds' centre and half-width. */
  centre: number;
  halfWidth: number;
  /** arctanh of the (slightly shrunk) inputs. */
  w0: tf.Tensor;
  /** x0' = tanh(w0) * b + a, the inputs as the change of variables gives them back. */
  reconstructed: Tensor4D | null;
  loss: Loss;
  /** Added to the logits before the criterion: kappa on the label's (minus kappa on the target's). */
  shift: tf.Tensor | null;
}

/** The point of the model space for `delta` (null: delta = 0). */
function toModelSpace(space: TanhSpace, delta: Tensor4D | null): Tensor4D {
  return tf.tidy(() => {
    const w = delta === null ? space.w0 : tf.add(space.w0, delta);
    return tf.add(tf.mul(tf.tanh(w), space.halfWidth), space.centre) as Tensor4D;
  });
}

export class L2CarliniWagner extends MinimizationAttack {
  readonly name = 'cw';
  readonly norm: Norm = 'l2';
  private readonly o: Required<CarliniWagnerOptions>;

  constructor(options: CarliniWagnerOptions = {}) {
    super();
    this.o = withDefaults(DEFAULTS, options);
    checkInteger(this.name, 'binarySearchSteps', this.o.binarySearchSteps, 1);
    checkInteger(this.name, 'steps', this.o.steps, 1);
    checkPositive(this.name, 'stepsize', this.o.stepsize);
    checkPositive(this.name, 'initialConst', this.o.initialConst);
    checkNonNegative(this.name, 'confidence', this.o.confidence);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async minimize(x0: Tensor4D, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion } = context;
    requireDifferentiable(model, this.name);
    const goal = attackGoal(criterion, this.name);
    const n = x0.shape[0];
    const [lo, hi] = model.bounds;
    const { confidence, binarySearchSteps } = this.o;
    const space: TanhSpace = {
      x0,
      centre: (lo + hi) / 2,
      halfWidth: (hi - lo) / 2,
      w0: tf.tidy(() => tf.atanh(tf.mul(tf.div(tf.sub(x0, (lo + hi) / 2), (hi - lo) / 2), TANH_SHRINK))),
      reconstructed: null,
      loss: { kind: 'margin', labels: goal.labels, targeted: goal.targeted },
      // The logit shift that makes "adversarial with margin kappa" a plain criterion check.
      shift:
        confidence === 0
          ? null
          : tf.tidy(() =>
              tf.mul(
                tf.oneHot(tf.tensor1d(goal.labels as number[], 'int32'), model.numClasses),
                goal.targeted ? -confidence : confidence,
              ),
            ),
    };
    space.reconstructed = toModelSpace(space, null);
    const best = new BestAdversarial(x0);
    let consts = new Array<number>(n).fill(this.o.initialConst);
    let lower = new Array<number>(n).fill(0);
    let upper = new Array<number>(n).fill(Infinity);
    try {
      for (let search = 0; search < binarySearchSteps; search++) {
        if (search === binarySearchSteps - 1 && binarySearchSteps >= 10)
          consts = upper.map((u) => Math.min(u, 1e10));
        const found = await this.optimise(space, consts, best, context, search);
        upper = upper.map((u, i) => (found[i] ? consts[i] : u));
        lower = lower.map((l, i) => (found[i] ? l : consts[i]));
        consts = consts.map((c, i) => (Number.isFinite(upper[i]) ? (lower[i] + upper[i]) / 2 : c * 10));
      }
    } catch (error) {
      best.dispose();
      throw error;
    } finally {
      tf.dispose([space.w0, space.reconstructed, ...(space.shift === null ? [] : [space.shift])]);
    }
    return best.take();
  }

  /**
   * One step of the binary search: Adam on delta for the constants `consts`, keeping the smallest
   * adversarials in `best`. Returns which inputs had an adversarial iterate.
   */
  private async optimise(
    space: TanhSpace,
    consts: readonly number[],
    best: BestAdversarial,
    { model, criterion, progress }: AttackContext,
    search: number,
  ): Promise<boolean[]> {
    const { steps, binarySearchSteps } = this.o;
    const checkEvery = Math.ceil(steps / 10);
    const found = new Array<boolean>(consts.length).fill(false);
    const adam = new Adam(space.x0.shape, this.o.stepsize);
    const constColumn = perRow(consts);
    let delta = tf.zerosLike(space.x0);
    let previousLoss = Infinity;
    try {
      for (let step = 0; step < steps; step++) {
        const x = toModelSpace(space, delta);
        let result: LossGradient | null = null;
        let stalled = false;
        try {
          result = await model.lossGradient(x, space.loss);
          const { total, gradient } = this.objective(space, x, result, constColumn);
          const update = adam.step(gradient);
          const previousDelta = delta;
          delta = tf.sub(previousDelta, update);
          tf.dispose([gradient, update, previousDelta]);
          // foolbox checks progress every tenth of the steps, after the update, before keeping the best.
          if (this.o.abortEarly && step % checkEvery === 0) {
            stalled = !(total <= 0.9999 * previousLoss);
            previousLoss = total;
          }
          if (!stalled) {
            const adversarial = this.adversarial(criterion, x, result.logits, space.shift);
            adversarial.forEach((a, i) => (found[i] = found[i] || a));
            best.update(x, adversarial, perturbationNormValues(x, space.x0, 'l2'));
          }
        } finally {
          if (result !== null) disposeLossGradient(result);
          x.dispose();
        }
        progress(search * steps + step + 1, binarySearchSteps * steps);
        if (stalled) break;
        if (step % 8 === 7) await yieldToEventLoop();
      }
      progress((search + 1) * steps, binarySearchSteps * steps);
      return found;
    } finally {
      tf.dispose([delta, constColumn]);
      adam.dispose();
    }
  }

  /**
   * The batch's total loss `sum c * max(0, kappa - margin) + ||x - x0'||^2` and its gradient with respect
   * to delta: the seam gives d margin / dx; the hinge and the norm term are chained through
   * dx / d delta = b * (1 - tanh^2), with tanh = (x - a) / b.
   */
  private objective(
    space: TanhSpace,
    x: Tensor4D,
    { gradient, loss: margins }: LossGradient,
    constColumn: Tensor4D,
  ): { total: number; gradient: Tensor4D } {
    const [total, deltaGradient] = tf.tidy(() => {
      const hinge = tf.sub(this.o.confidence, margins) as Tensor1D;
      const diff = tf.sub(x, space.reconstructed as Tensor4D);
      const value = tf.add(
        tf.sum(tf.mul(tf.relu(hinge), tf.reshape(constColumn, [-1]))),
        tf.sum(tf.square(diff)),
      );
      const active = perRow(tf.cast(tf.greater(hinge, 0), 'float32') as Tensor1D);
      const xGradient = tf.add(tf.mul(tf.neg(tf.mul(constColumn, active)), gradient), tf.mul(diff, 2));
      const tanh = tf.div(tf.sub(x, space.centre), space.halfWidth);
      const chain = tf.mul(tf.sub(1, tf.square(tanh)), space.halfWidth);
      return [value, tf.mul(xGradient, chain) as Tensor4D];
    });
    const value = total.dataSync()[0];
    total.dispose();
    return { total: value, gradient: deltaGradient as Tensor4D };
  }

  /** The criterion on logits whose label (target) logit is shifted by kappa. */
  private adversarial(
    criterion: AttackContext['criterion'],
    x: Tensor4D,
    logits: Tensor2D,
    shift: tf.Tensor | null,
  ): boolean[] {
    if (shift === null) return criterionFlags(criterion, x, logits);
    const shifted = tf.add(logits, shift) as Tensor2D;
    try {
      return criterionFlags(criterion, x, shifted);
    } finally {
      shifted.dispose();
    }
  }
}
