/**
 * DeepFool (Moosavi-Dezfooli et al. 2016), in L2 and Linf, with foolbox 3's semantics and defaults.
 *
 * The candidates are the `candidates` classes with the largest clean logits, the first being the clean
 * prediction c0. Each step linearises the model around the current point: for every other candidate k the
 * logit difference `z_k - z_c0` and its input gradient (one `lossGradient` call per candidate, with the
 * seam's `logits` loss and weight row `e_k - e_c0`) give the distance to k's linearised boundary,
 * `|z_k - z_c0| / ||grad||_q` (q = 2 for L2, 1 for Linf); the closest boundary is stepped to (plus 1e-4),
 * the steps add up, and the point is `x0 + (1 + overshoot) * sum of steps`, clipped into bounds. An input
 * stops as soon as the criterion holds (it only decides when to stop: DeepFool is untargeted). Inputs
 * that stopped leave the batch, so later steps cost only what is left.
 */
import { tf, type Tensor1D, type Tensor4D } from '../engine/tf.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { clipToBounds, type Norm } from '../distances/index.js';
import type { Loss } from '../models/loss.js';
import { disposeLossGradient, type LossGradient, type Model } from '../models/model.js';
import { criterionFlags, MinimizationAttack, type AttackContext } from './attack.js';
import { requireDifferentiable } from './loss-gradient.js';
import { checkNonNegative, withDefaults } from './minimization-options.js';
import { checkInteger } from './option-checks.js';
import { gatherRows, perRow, rowNorms, scatterRows } from './per-input.js';

export interface DeepFoolOptions {
  /** Maximum number of linearisation steps. */
  steps?: number;
  /** How many of the most likely classes are candidates (the clean prediction included). */
  candidates?: number;
  /** How far to step past the boundary, relative to the accumulated perturbation. */
  overshoot?: number;
}

const DEFAULTS: Required<DeepFoolOptions> = { steps: 50, candidates: 10, overshoot: 0.02 };

/** The `k` largest logits' classes of each clean input, largest first. */
async function candidateClasses(model: Model, x0: Tensor4D, k: number): Promise<number[][]> {
  const logits = await model.logits(x0);
  try {
    const top = tf.topk(logits, k);
    const classes = top.indices.arraySync() as number[][];
    tf.dispose([top.values, top.indices]);
    return classes;
  } finally {
    logits.dispose();
  }
}

abstract class DeepFoolAttack extends MinimizationAttack {
  protected readonly o: Required<DeepFoolOptions>;

  constructor(options: DeepFoolOptions) {
    super();
    this.o = withDefaults(DEFAULTS, options);
    checkInteger(this.constructor.name, 'steps', this.o.steps, 1);
    checkInteger(this.constructor.name, 'candidates', this.o.candidates, 2);
    checkNonNegative(this.constructor.name, 'overshoot', this.o.overshoot);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  /** Distance to each linearised boundary: `|loss| / (||gradient||_dual + 1e-8)`. */
  protected abstract distances(losses: Tensor1D, gradients: Tensor4D): Tensor1D;

  /** The step that moves `distances` towards the boundary along `gradients`. */
  protected abstract perturbations(distances: Tensor1D, gradients: Tensor4D): Tensor4D;

  protected async minimize(x0: Tensor4D, { model, criterion, progress }: AttackContext): Promise<Tensor4D> {
    requireDifferentiable(model, this.name);
    if (criterion.goal()?.targeted === true)
      throw new Error(`${this.name} is untargeted: give a misclassification criterion, not a targeted one`);
    const k = Math.min(this.o.candidates, model.numClasses);
    if (k < 2) throw new Error(`${this.name} needs a model with at least 2 classes`);
    const classes = await candidateClasses(model, x0, k);
    /** The `logits` loss `z_{c_k} - z_{c_0}` for the inputs `rows`. */
    const lossTowards = (rows: readonly number[], candidate: number): Loss => {
      const weights = new Float32Array(rows.length * model.numClasses);
      rows.forEach((row, j) => {
        weights[j * model.numClasses + classes[row][candidate]] += 1;
        weights[j * model.numClasses + classes[row][0]] -= 1;
      });
      return { kind: 'logits', weights };
    };

    let x = tf.clone(x0);
    let total = tf.zerosLike(x0);
    let active = Array.from({ length: x0.shape[0] }, (_, i) => i);
    const held: tf.Tensor[] = [];
    try {
      for (let step = 0; step < this.o.steps && active.length > 0; step++) {
        const xActive = gatherRows(x, active);
        held.push(xActive);
        const first = await model.lossGradient(xActive, lossTowards(active, 1));
        held.push(first.gradient, first.logits, first.loss);
        const adversarial = criterionFlags(criterion.subset(active), xActive, first.logits);
        const left = active.flatMap((_, j) => (adversarial[j] ? [] : [j]));
        const rows = left.map((j) => active[j]);
        if (rows.length > 0) {
          const closest = await this.closestBoundary(model, gatherRows(xActive, left), first, left, (c) =>
            lossTowards(rows, c),
          );
          const [nextTotal, nextX] = tf.tidy(() => {
            const sum = tf.add(gatherRows(total, rows), closest) as Tensor4D;
            const moved = clipToBounds(
              tf.add(gatherRows(x0, rows), tf.mul(sum, 1 + this.o.overshoot)) as Tensor4D,
              model.bounds,
            );
            return [scatterRows(total, rows, sum), scatterRows(x, rows, moved)];
          });
          closest.dispose();
          tf.dispose([total, x]);
          [total, x] = [nextTotal, nextX];
        }
        tf.dispose(held.splice(0));
        active = rows;
        progress(step + 1, this.o.steps);
        await yieldToEventLoop();
      }
      progress(this.o.steps, this.o.steps);
    } catch (error) {
      x.dispose();
      throw error;
    } finally {
      tf.dispose([...held, total]);
    }
    return x;
  }

  /**
   * The step to the closest linearised boundary for the inputs `xLeft` (rows `left` of the first
   * candidate's result), trying candidates 2..k-1 with one gradient call each.
   */
  private async closestBoundary(
    model: Model,
    xLeft: Tensor4D,
    first: LossGradient,
    left: readonly number[],
    lossTowards: (candidate: number) => Loss,
  ): Promise<Tensor4D> {
    let gradient = gatherRows(first.gradient, left);
    let distance = tf.tidy(() => this.distances(gatherRows(first.loss, left), gradient));
    try {
      for (let c = 2; c < Math.min(this.o.candidates, model.numClasses); c++) {
        const result = await model.lossGradient(xLeft, lossTowards(c));
        const [nextDistance, nextGradient] = tf.tidy(() => {
          const d = this.distances(result.loss, result.gradient);
          const closer = tf.less(d, distance);
          const column = tf.broadcastTo(tf.reshape(closer, [-1, 1, 1, 1]), gradient.shape);
          return [tf.where(closer, d, distance), tf.where(column, result.gradient, gradient)];
        });
        disposeLossGradient(result);
        tf.dispose([distance, gradient]);
        [distance, gradient] = [nextDistance as Tensor1D, nextGradient as Tensor4D];
      }
      return tf.tidy(() => this.perturbations(tf.add(distance, 1e-4) as Tensor1D, gradient));
    } finally {
      tf.dispose([distance, gradient, xLeft]);
    }
  }
}

/** DeepFool in L2 (foolbox's L2DeepFoolAttack): 50 steps, the 10 most likely classes, overshoot 0.02. */
export class L2DeepFool extends DeepFoolAttack {
  readonly name = 'deepfool';
  readonly norm: Norm = 'l2';

  constructor(options: DeepFoolOptions = {}) {
    super(options);
  }

  protected distances(losses: Tensor1D, gradients: Tensor4D): Tensor1D {
    return tf.div(tf.abs(losses), tf.add(rowNorms(gradients, 'l2'), 1e-8));
  }

  protected perturbations(distances: Tensor1D, gradients: Tensor4D): Tensor4D {
    const scale = tf.div(distances, tf.add(rowNorms(gradients, 'l2'), 1e-8)) as Tensor1D;
    return tf.mul(perRow(scale), gradients);
  }
}

/** DeepFool in Linf (foolbox's LinfDeepFoolAttack): steps along the gradient's sign. */
export class LinfDeepFool extends DeepFoolAttack {
  readonly name = 'linf-deepfool';
  readonly norm: Norm = 'linf';

  constructor(options: DeepFoolOptions = {}) {
    super(options);
  }

  protected distances(losses: Tensor1D, gradients: Tensor4D): Tensor1D {
    return tf.div(tf.abs(losses), tf.add(rowNorms(gradients, 'l1'), 1e-8));
  }

  protected perturbations(distances: Tensor1D, gradients: Tensor4D): Tensor4D {
    return tf.mul(perRow(distances), tf.sign(gradients));
  }
}
