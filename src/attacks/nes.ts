/**
 * NES (Ilyas et al. 2018, "Black-box adversarial attacks with limited queries and information", the
 * query-limited setting): Linf PGD on a gradient estimated from scores alone. Each iteration queries the
 * current image (an input stops as soon as the criterion accepts it), estimates the gradient of the loss
 * with antithetic Gaussian sampling (`samplesPerDraw` images, sigma), smooths it with momentum, steps by
 * the step size along its sign and projects onto the eps ball and into bounds. The step size of an input
 * is halved (down to 1/200 of it) when its loss has not improved over `plateauLength` iterations. Defaults
 * are the paper's (50 samples per draw, sigma 0.001, momentum 0.9, step 0.01 for eps 0.05, 10,000
 * queries); the loss is the cross-entropy of the criterion's goal (models/loss.ts).
 *
 * Costs 1 + samplesPerDraw queries per input per iteration; `maxQueries` bounds each input.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { clipToEpsBall, type Norm } from '../distances/index.js';
import { FixedEpsilonAttack, type AttackContext } from './attack.js';
import { gatherRows, perRow, scatterRows } from './per-input.js';
import { attackGoal } from './loss-gradient.js';
import { checkChoice, checkInRange, checkInteger, checkPositive, definedOptions } from './option-checks.js';
import { checkMaxQueries, QueryOracle } from './query-oracle.js';
import { estimateGradient, goalScoreLoss, type ScoreLoss, type ScoreLossKind } from './score-gradient.js';

export interface NesOptions {
  /** Images per gradient estimate (antithetic pairs: an even number). */
  samplesPerDraw?: number;
  /** Scale of the Gaussian probes. */
  sigma?: number;
  /** Step size relative to eps (used unless absStepsize is set). */
  relStepsize?: number;
  /** Absolute step size in units of the bounds. */
  absStepsize?: number;
  /** Weight of the previous gradient in the smoothed one. */
  momentum?: number;
  /** Iterations without loss improvement before the step size is divided by plateauDrop. */
  plateauLength?: number;
  plateauDrop?: number;
  /** The loss ascended: cross-entropy (the paper's) or the logit margin. */
  loss?: ScoreLossKind;
  /** Iteration limit (Infinity: only maxQueries limits the attack). */
  steps?: number;
  /** Queries per input. */
  maxQueries?: number;
  seed?: number;
}

type Resolved = Required<Omit<NesOptions, 'absStepsize'>> & { absStepsize?: number };

const DEFAULTS: Resolved = {
  samplesPerDraw: 50,
  sigma: 0.001,
  relStepsize: 0.2,
  momentum: 0.9,
  plateauLength: 5,
  plateauDrop: 2,
  loss: 'crossentropy',
  steps: Infinity,
  maxQueries: 10_000,
  seed: 0,
};

/** The smallest step size, as a fraction of the initial one (the paper's 5e-5 for 1e-2). */
const MIN_STEPSIZE_FRACTION = 1 / 200;

export class NES extends FixedEpsilonAttack {
  readonly name = 'nes';
  readonly norm: Norm = 'linf';
  override readonly countsQueries = true;
  private readonly o: Resolved;

  constructor(options: NesOptions = {}) {
    super();
    this.o = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.o;
    checkInteger(this.name, 'samplesPerDraw', o.samplesPerDraw, 2);
    if (o.samplesPerDraw % 2 !== 0)
      throw new Error(`nes: samplesPerDraw must be even (antithetic pairs) (got ${o.samplesPerDraw})`);
    checkPositive(this.name, 'sigma', o.sigma);
    checkPositive(this.name, 'step size', o.absStepsize ?? o.relStepsize);
    checkInRange(this.name, 'momentum', o.momentum, 0, 1);
    checkInteger(this.name, 'plateauLength', o.plateauLength, 1);
    checkInRange(this.name, 'plateauDrop', o.plateauDrop, 1, Infinity);
    checkChoice(this.name, 'loss', o.loss, ['crossentropy', 'margin']);
    checkInteger(this.name, 'steps', o.steps, 1, true);
    checkMaxQueries(this.name, o.maxQueries);
    if (o.steps === Infinity && o.maxQueries === Infinity)
      throw new Error('nes: give a finite steps or maxQueries');
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async attack(x0: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion, progress } = context;
    const goal = attackGoal(criterion, this.name);
    if (eps === 0) return tf.clone(x0);
    const o = this.o;
    const oracle = new QueryOracle(model, criterion, context.queries, o.maxQueries, this.name);
    oracle.requireScores();
    const n = x0.shape[0];
    const run: NesRun = {
      oracle,
      x0,
      eps,
      loss: goalScoreLoss(goal, o.loss),
      rng: new Rng(o.seed),
      x: tf.clone(x0),
      smoothed: tf.zerosLike(x0) as Tensor4D,
      stepsize: new Array<number>(n).fill(o.absStepsize ?? o.relStepsize * eps),
      history: Array.from({ length: n }, () => []),
    };
    const done = new Array<boolean>(n).fill(false);
    const cost = 1 + o.samplesPerDraw;
    const steps = Math.min(o.steps, Math.floor(o.maxQueries / cost));
    try {
      for (let step = 0; step < steps; step++) {
        const active = oracle.affordable(
          done.flatMap((d, i) => (d ? [] : [i])),
          cost,
        );
        if (active.length === 0) break;
        const current = gatherRows(run.x, active);
        let adversarial: boolean[];
        try {
          adversarial = await oracle.isAdversarial(current, active);
        } finally {
          current.dispose();
        }
        active.forEach((i, j) => (done[i] = adversarial[j]));
        const moving = active.filter((i) => !done[i]);
        if (moving.length > 0) await this.step(run, moving);
        progress(step + 1, steps);
        if (step % 4 === 3) await yieldToEventLoop();
      }
    } catch (error) {
      run.x.dispose();
      throw error;
    } finally {
      run.smoothed.dispose();
    }
    return run.x;
  }

  /** One NES iteration for the inputs `rows`: estimate, smooth, step along the sign, project, anneal. */
  private async step(run: NesRun, rows: number[]): Promise<void> {
    const o = this.o;
    const current = gatherRows(run.x, rows);
    try {
      const { gradient, meanLoss } = await estimateGradient(
        run.oracle,
        current,
        rows,
        run.loss,
        { pairs: o.samplesPerDraw / 2, scale: o.sigma, distribution: 'gaussian' },
        run.rng,
      );
      const next = tf.tidy(() => {
        const g = tf.add(
          tf.mul(gatherRows(run.smoothed, rows), o.momentum),
          tf.mul(gradient, 1 - o.momentum),
        ) as Tensor4D;
        const step = tf.mul(tf.sign(g), perRow(rows.map((i) => run.stepsize[i])));
        const moved = tf.add(current, step) as Tensor4D;
        const projected = clipToEpsBall(gatherRows(run.x0, rows), moved, 'linf', run.eps, run.oracle.bounds);
        return { x: scatterRows(run.x, rows, projected), smoothed: scatterRows(run.smoothed, rows, g) };
      });
      gradient.dispose();
      tf.dispose([run.x, run.smoothed]);
      run.x = next.x;
      run.smoothed = next.smoothed;
      rows.forEach((i, j) => this.anneal(run, i, meanLoss[j]));
    } finally {
      current.dispose();
    }
  }

  /** Plateau annealing: divide the step size when the ascended loss fell over the last plateauLength steps. */
  private anneal(run: NesRun, i: number, loss: number): void {
    const o = this.o;
    const history = run.history[i];
    history.push(loss);
    if (history.length > o.plateauLength) history.shift();
    if (history.length === o.plateauLength && history[history.length - 1] < history[0]) {
      const floor = (o.absStepsize ?? o.relStepsize * run.eps) * MIN_STEPSIZE_FRACTION;
      run.stepsize[i] = Math.max(run.stepsize[i] / o.plateauDrop, floor);
      history.length = 0;
    }
  }
}

/** The state of one NES run. */
interface NesRun {
  oracle: QueryOracle;
  x0: Tensor4D;
  eps: number;
  loss: ScoreLoss;
  rng: Rng;
  /** Current iterate and smoothed gradient, full batch (owned by the run). */
  x: Tensor4D;
  smoothed: Tensor4D;
  stepsize: number[];
  /** Recent mean losses per input, for plateau annealing. */
  history: number[][];
}
