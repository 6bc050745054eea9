/**
 * Iterative gradient attacks (foolbox 3's BaseGradientDescent): optional random start inside the eps
 * ball, then `steps` steps of size `stepsize` along the normalised gradient, each followed by a
 * projection onto the eps ball and into bounds. FGSM/FGM are the one-step, full-eps case; BIM is PGD
 * without random start; MI-FGSM adds momentum. The loop itself, `projectedGradientAscent`, is also the
 * PGD of adversarial training (defenses/adversarial-training.ts).
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import {
  clipToBounds,
  clipToEpsBall,
  normalizeGradient,
  randomInBall,
  type Norm,
} from '../distances/index.js';
import { criterionFlags, FixedEpsilonAttack, type AttackContext } from './attack.js';
import { attackGoal, goalLoss, requireDifferentiable } from './loss-gradient.js';
import { checkAttackSeed, checkInteger, checkPositive } from './option-checks.js';
import type { Loss } from '../models/loss.js';
import type { Model } from '../models/model.js';

export interface GradientDescentOptions {
  /** Number of gradient steps. */
  steps?: number;
  /** Step size relative to eps (used unless absStepsize is set). */
  relStepsize?: number;
  /** Absolute step size in units of the bounds. */
  absStepsize?: number;
  /** Start from a uniformly random point of the eps ball. */
  randomStart?: boolean;
  /** Seed for the random start. */
  seed?: number;
  /**
   * Freeze each input at the first iterate the criterion accepts (checked on the logits of the same
   * forward pass as the gradient, so it costs nothing). Off by default (foolbox's PGD runs every step);
   * useful against models whose output jumps, such as a projection defense under BPDA.
   */
  earlyStop?: boolean;
}

type Resolved = Required<Omit<GradientDescentOptions, 'absStepsize'>> & { absStepsize?: number };

function checkOptions(name: string, o: Resolved): void {
  checkInteger(name, 'steps', o.steps, 1);
  checkPositive(name, 'step size', o.absStepsize ?? o.relStepsize);
  checkAttackSeed(name, o.seed);
}

export abstract class GradientDescentAttack extends FixedEpsilonAttack {
  protected readonly options: Resolved;

  constructor(defaults: Resolved, options: GradientDescentOptions) {
    super();
    this.options = {
      ...defaults,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
    checkOptions(this.constructor.name, this.options);
  }

  describe(): Record<string, unknown> {
    return { ...this.options };
  }

  protected stepsize(eps: number): number {
    return this.options.absStepsize ?? this.options.relStepsize * eps;
  }

  /** The ascent direction for this step (normalised gradient; MI-FGSM overrides it). */
  protected direction(gradient: Tensor4D, _state: DirectionState): Tensor4D {
    return normalizeGradient(gradient, this.norm);
  }

  protected async attack(
    x0: Tensor4D,
    eps: number,
    { model, criterion, progress }: AttackContext,
  ): Promise<Tensor4D> {
    requireDifferentiable(model, this.name);
    const loss = goalLoss(attackGoal(criterion, this.name));
    if (eps === 0) return tf.clone(x0);
    return projectedGradientAscent(model, x0, {
      norm: this.norm,
      eps,
      stepsize: this.stepsize(eps),
      steps: this.options.steps,
      randomStart: this.options.randomStart,
      seed: this.options.seed,
      loss,
      direction: (gradient, state) => this.direction(gradient, state),
      // Early stop: inputs the criterion already accepts (judged on this pass's logits) stay put.
      done: this.options.earlyStop ? (x, logits) => criterionFlags(criterion, x, logits) : undefined,
      progress,
    });
  }
}

/** What a direction keeps between steps (MI-FGSM's accumulated gradient). */
export interface DirectionState {
  momentum: Tensor4D | null;
}

/** One run of projected gradient ascent on a loss, for one eps: the core of every gradient-descent attack. */
export interface ProjectedGradientRun {
  norm: Norm;
  eps: number;
  /** Absolute step size. */
  stepsize: number;
  steps: number;
  /** Start from a uniformly random point of the eps ball (one draw of `seed`), else from x0. */
  randomStart: boolean;
  seed: number;
  /** The loss ascended (its gradient is asked of the model through the seam). */
  loss: Loss;
  /** The ascent direction of a step (default: the gradient normalised in `norm`: sign(g) in Linf). */
  direction?: (gradient: Tensor4D, state: DirectionState) => Tensor4D;
  /** Inputs already done at an iterate, judged on that step's logits: they stay put (early stop). */
  done?: (x: Tensor4D, logits: Tensor2D) => boolean[];
  progress?: (step: number, steps: number) => void;
}

/**
 * Projected gradient ascent from x0 (GradientDescentAttack for one eps; also the PGD of adversarial
 * training): the optional random start, then `steps` steps of `stepsize` along the direction, each
 * projected onto the eps ball around x0 and into the model's bounds. The caller owns the result.
 */
export async function projectedGradientAscent(
  model: Model,
  x0: Tensor4D,
  run: ProjectedGradientRun,
): Promise<Tensor4D> {
  const { norm, eps, stepsize, steps } = run;
  const direction = run.direction ?? ((gradient: Tensor4D) => normalizeGradient(gradient, norm));
  const rng = new Rng(run.seed);
  let x: Tensor4D = run.randomStart
    ? tf.tidy(() =>
        clipToBounds(
          tf.add(
            x0,
            randomInBall(x0.shape, norm, eps, () => rng.seed()),
          ) as Tensor4D,
          model.bounds,
        ),
      )
    : tf.clone(x0);
  const state: DirectionState = { momentum: null };
  try {
    for (let step = 0; step < steps; step++) {
      const current = x;
      const { gradient, logits, loss: values } = await model.lossGradient(current, run.loss);
      const done = run.done === undefined ? null : run.done(current, logits);
      tf.dispose([logits, values]);
      const next = tf.tidy(() => {
        const moved = tf.add(current, tf.mul(direction(gradient, state), stepsize)) as Tensor4D;
        const projected = clipToEpsBall(x0, moved, norm, eps, model.bounds);
        if (done === null) return projected;
        const mask = tf.reshape(tf.tensor1d(done.map(Number)), [-1, 1, 1, 1]);
        return tf.add(tf.mul(mask, current), tf.mul(tf.sub(1, mask), projected)) as Tensor4D;
      });
      gradient.dispose();
      x.dispose();
      x = next;
      run.progress?.(step + 1, steps);
      if (step % 8 === 7) await yieldToEventLoop();
    }
  } catch (error) {
    x.dispose();
    throw error;
  } finally {
    state.momentum?.dispose();
  }
  return x;
}

const PGD_LINF: Resolved = {
  steps: 40,
  relStepsize: 0.01 / 0.3,
  randomStart: true,
  seed: 0,
  earlyStop: false,
};
const PGD_L2: Resolved = { steps: 50, relStepsize: 0.025, randomStart: true, seed: 0, earlyStop: false };
const PGD_L1: Resolved = { steps: 50, relStepsize: 0.025, randomStart: true, seed: 0, earlyStop: false };
const BIM: Resolved = { steps: 10, relStepsize: 0.2, randomStart: false, seed: 0, earlyStop: false };
const FAST: Resolved = { steps: 1, relStepsize: 1, randomStart: false, seed: 0, earlyStop: false };

/** Fast Gradient Sign Method (Goodfellow et al. 2015): one step of eps along sign(gradient). */
export class FGSM extends GradientDescentAttack {
  readonly name = 'fgsm';
  readonly norm: Norm = 'linf';
  constructor(options: Pick<GradientDescentOptions, 'randomStart' | 'seed'> = {}) {
    super(FAST, options);
  }
}

/** Fast Gradient Method in L2: one step of eps along the L2-normalised gradient. */
export class FGM extends GradientDescentAttack {
  readonly name = 'fgm';
  readonly norm: Norm = 'l2';
  constructor(options: Pick<GradientDescentOptions, 'randomStart' | 'seed'> = {}) {
    super(FAST, options);
  }
}

/** Basic Iterative Method (Kurakin et al. 2016) in Linf. */
export class LinfBasicIterativeAttack extends GradientDescentAttack {
  readonly name = 'linf-bim';
  readonly norm: Norm = 'linf';
  constructor(options: GradientDescentOptions = {}) {
    super(BIM, options);
  }
}

/** Basic Iterative Method in L2. */
export class L2BasicIterativeAttack extends GradientDescentAttack {
  readonly name = 'l2-bim';
  readonly norm: Norm = 'l2';
  constructor(options: GradientDescentOptions = {}) {
    super(BIM, options);
  }
}

/** Projected Gradient Descent (Madry et al. 2018) in Linf, foolbox defaults (40 steps, 0.01/0.3 eps). */
export class LinfPGD extends GradientDescentAttack {
  readonly name = 'linf-pgd';
  readonly norm: Norm = 'linf';
  constructor(options: GradientDescentOptions = {}) {
    super(PGD_LINF, options);
  }
}

/** Projected Gradient Descent in L2 (50 steps of 0.025 eps). */
export class L2PGD extends GradientDescentAttack {
  readonly name = 'l2-pgd';
  readonly norm: Norm = 'l2';
  constructor(options: GradientDescentOptions = {}) {
    super(PGD_L2, options);
  }
}

/**
 * Projected Gradient Descent in L1: steps along the L1-normalised gradient (foolbox's direction) and an
 * exact Euclidean projection onto the L1 ball.
 */
export class L1PGD extends GradientDescentAttack {
  readonly name = 'l1-pgd';
  readonly norm: Norm = 'l1';
  constructor(options: GradientDescentOptions = {}) {
    super(PGD_L1, options);
  }
}

export interface MomentumOptions extends GradientDescentOptions {
  /** Decay factor mu of the accumulated gradient. */
  decay?: number;
}

/**
 * Momentum Iterative FGSM (Dong et al. 2018): g <- mu * g + grad / ||grad||_1, step along sign(g).
 * Defaults: 10 steps of eps/10, mu = 1.
 */
export class MIFGSM extends GradientDescentAttack {
  readonly name = 'mi-fgsm';
  readonly norm: Norm = 'linf';
  private readonly decay: number;
  constructor(options: MomentumOptions = {}) {
    const { decay, ...rest } = options;
    super({ steps: 10, relStepsize: 0.1, randomStart: false, seed: 0, earlyStop: false }, rest);
    this.decay = decay ?? 1;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), decay: this.decay };
  }

  protected override direction(gradient: Tensor4D, state: DirectionState): Tensor4D {
    const normalised = normalizeGradient(gradient, 'l1');
    const momentum =
      state.momentum === null ? normalised : tf.add(tf.mul(state.momentum, this.decay), normalised);
    const kept = tf.keep(momentum as Tensor4D);
    state.momentum?.dispose();
    state.momentum = kept;
    return tf.sign(kept);
  }
}
