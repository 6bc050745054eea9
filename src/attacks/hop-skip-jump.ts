/**
 * HopSkipJump (Chen, Jordan & Wainwright 2020, "HopSkipJumpAttack: a query-efficient decision-based
 * attack"), with foolbox 3's semantics and defaults: a minimization attack in L2 or Linf that only sees
 * the criterion's verdict. From an adversarial starting point (blended uniform noise, or given
 * `startingPoints`) projected onto the decision boundary by a binary search towards the input, each step
 * estimates the boundary's normal from the verdicts on random probes around the boundary point
 * (100 sqrt(step + 1) probes, at most 10,000), jumps along it (its sign, for Linf) by a geometric step size
 * search starting at distance / sqrt(step + 1) and halving until the jump stays adversarial, and binary
 * searches back to the boundary. The probe radius and the binary search tolerance follow foolbox (gamma / d
 * times the distance; gamma / d^1.5 and gamma / d^2 times the distance for the search).
 *
 * Differences from foolbox: the estimate is scaled to unit norm per input (foolbox divides by the norm of
 * the whole batch's estimate), points are clipped into the model's bounds (foolbox clips to [0, 1]), the
 * smallest adversarial seen is returned (foolbox returns the last), inputs whose starting point could not
 * be found are returned unchanged (foolbox raises), only inputs still searching are queried, and only the
 * geometric step size search is offered (foolbox also has a grid search).
 *
 * Costs: the starting point search, then per step the probes, the step size search and the binary search;
 * `maxQueries` bounds each input (an input whose budget runs out keeps its last adversarial).
 */
import { tf, type Tensor1D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { perturbationNorm } from '../distances/index.js';
import { MinimizationAttack, type AttackContext } from './attack.js';
import { gatherRows, perRow, scatterRows } from './per-input.js';
import { estimateBoundaryGradient, type BoundaryNorm } from './boundary-gradient.js';
import { checkChoice, checkInteger, checkPositive, definedOptions } from './option-checks.js';
import { checkMaxQueries, QueryOracle } from './query-oracle.js';
import { blendedNoiseStart, givenStart } from './starting-points.js';

export interface HopSkipJumpOptions {
  /** The norm minimised. */
  constraint?: BoundaryNorm;
  /** Gradient estimation and jump steps. */
  steps?: number;
  /** Probes of the first gradient estimate (growing with sqrt(step + 1)). */
  initialGradientEvalSteps?: number;
  /** Probes per gradient estimate at most. */
  maxGradientEvalSteps?: number;
  /** Sets the binary search tolerance and the probe radius. */
  gamma?: number;
  /** Adversarial starting points, shaped like the inputs (default: blended uniform noise). */
  startingPoints?: Tensor4D;
  /** Queries per input, the starting point search included. */
  maxQueries?: number;
  seed?: number;
}

type Resolved = Required<Omit<HopSkipJumpOptions, 'startingPoints'>> &
  Pick<HopSkipJumpOptions, 'startingPoints'>;

const DEFAULTS: Resolved = {
  constraint: 'l2',
  steps: 64,
  initialGradientEvalSteps: 100,
  maxGradientEvalSteps: 10_000,
  gamma: 1,
  maxQueries: Infinity,
  seed: 0,
};

/** Halvings of the jump before an input gives up on this step. */
const MAX_HALVINGS = 64;
/** Bisections of one binary search at most (float64 stops making progress before). */
const MAX_BISECTIONS = 64;

export class HopSkipJump extends MinimizationAttack {
  readonly name: string;
  readonly norm: BoundaryNorm;
  override readonly countsQueries = true;
  private readonly o: Resolved;

  constructor(options: HopSkipJumpOptions = {}) {
    super();
    this.o = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.o;
    this.norm = checkChoice('hop-skip-jump', 'constraint', o.constraint, ['l2', 'linf']);
    this.name = o.constraint === 'l2' ? 'hop-skip-jump' : 'linf-hop-skip-jump';
    checkInteger(this.name, 'steps', o.steps, 1);
    checkInteger(this.name, 'initialGradientEvalSteps', o.initialGradientEvalSteps, 1);
    checkInteger(this.name, 'maxGradientEvalSteps', o.maxGradientEvalSteps, 1);
    checkPositive(this.name, 'gamma', o.gamma);
    checkMaxQueries(this.name, o.maxQueries);
  }

  describe(): Record<string, unknown> {
    const { startingPoints, ...rest } = this.o;
    return { ...rest, startingPoints: startingPoints === undefined ? 'blended-noise' : 'given' };
  }

  protected async minimize(x0: Tensor4D, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion, progress } = context;
    const o = this.o;
    const oracle = new QueryOracle(model, criterion, context.queries, o.maxQueries, this.name);
    const rng = new Rng(o.seed);
    const start =
      o.startingPoints === undefined
        ? await blendedNoiseStart(oracle, x0, rng)
        : await givenStart(oracle, x0, o.startingPoints, this.name);
    const n = x0.shape[0];
    const rows = Array.from({ length: n }, (_, i) => i).filter((i) => start.found[i] && !start.clean[i]);
    const run: HsjRun = {
      oracle,
      x0,
      current: start.starts,
      best: tf.clone(start.starts),
      distance: new Array<number>(n).fill(Infinity),
      bestDistance: new Array<number>(n).fill(Infinity),
    };
    try {
      await this.toBoundary(run, rows, gatherRows(run.current, rows));
      for (let step = 0; step < o.steps; step++) {
        const active = oracle.affordable(rows, 2);
        if (active.length === 0) break;
        await this.step(run, active, step, rng);
        progress(step + 1, o.steps);
        if (step % 4 === 3) await yieldToEventLoop();
      }
      return run.best;
    } catch (error) {
      run.best.dispose();
      throw error;
    } finally {
      run.current.dispose();
    }
  }

  /** One step for the inputs `rows`: estimate the normal, jump, back to the boundary. */
  private async step(run: HsjRun, rows: number[], step: number, rng: Rng): Promise<void> {
    const o = this.o;
    const d = run.x0.shape.slice(1).reduce((a, b) => a * b, 1);
    const deltas = rows.map((i) => (step === 0 ? 0.1 : (o.gamma * run.distance[i]) / d));
    const evals = Math.floor(
      Math.min(o.initialGradientEvalSteps * Math.sqrt(step + 1), o.maxGradientEvalSteps),
    );
    const samples = rows.map((i) => Math.min(evals, run.oracle.remaining(i) - 1));
    const here = gatherRows(run.current, rows);
    let update: Tensor4D | null = null;
    try {
      const gradient = await estimateBoundaryGradient(
        run.oracle,
        here,
        rows,
        deltas,
        samples,
        o.constraint,
        rng,
      );
      update = o.constraint === 'linf' ? tf.tidy(() => tf.sign(gradient) as Tensor4D) : gradient;
      if (update !== gradient) gradient.dispose();
      // geometric step size search: halve until the jump stays adversarial
      const size = rows.map((i) => run.distance[i] / Math.sqrt(step + 1));
      const jumped = new Array<boolean>(rows.length).fill(false);
      for (let halving = 0; halving < MAX_HALVINGS; halving++) {
        const pending = rows.flatMap((i, j) => (!jumped[j] && run.oracle.remaining(i) >= 1 ? [j] : []));
        if (pending.length === 0) break;
        const jump = this.jump(run.oracle, here, update, pending, size);
        try {
          const adversarial = await run.oracle.isAdversarial(
            jump,
            pending.map((j) => rows[j]),
          );
          pending.forEach((j, m) => {
            if (adversarial[m]) jumped[j] = true;
            else size[j] /= 2;
          });
        } finally {
          jump.dispose();
        }
      }
      const moved = rows.flatMap((_, j) => (jumped[j] ? [j] : []));
      if (moved.length > 0)
        await this.toBoundary(
          run,
          moved.map((j) => rows[j]),
          this.jump(run.oracle, here, update, moved, size),
        );
    } finally {
      tf.dispose(update === null ? [here] : [here, update]);
    }
  }

  /** clip(x + size * update) for the rows `members` of `x` and `update` (indices into them). */
  private jump(
    oracle: QueryOracle,
    x: Tensor4D,
    update: Tensor4D,
    members: number[],
    size: number[],
  ): Tensor4D {
    return tf.tidy(() => {
      const moved = tf.add(
        gatherRows(x, members),
        tf.mul(gatherRows(update, members), perRow(members.map((j) => size[j]))),
      );
      return tf.clipByValue(moved, ...oracle.bounds) as Tensor4D;
    });
  }

  /**
   * Binary search between the inputs `rows` and their adversarials `perturbed` (taken over) for the
   * boundary point; it becomes their current point, and the best when closer.
   */
  private async toBoundary(run: HsjRun, rows: number[], perturbed: Tensor4D): Promise<void> {
    if (rows.length === 0) {
      perturbed.dispose();
      return;
    }
    const x0 = gatherRows(run.x0, rows);
    try {
      const boundary = await this.binarySearch(run.oracle, x0, perturbed, rows);
      const distance = tf.tidy(() => perturbationNorm(tf.sub(boundary, x0), this.norm));
      const values = Array.from((distance as Tensor1D).dataSync());
      distance.dispose();
      const closer = rows.flatMap((i, j) => (values[j] < run.bestDistance[i] ? [j] : []));
      const next = tf.tidy(() => ({
        current: scatterRows(run.current, rows, boundary),
        best:
          closer.length === 0
            ? tf.clone(run.best)
            : scatterRows(
                run.best,
                closer.map((j) => rows[j]),
                gatherRows(boundary, closer),
              ),
      }));
      boundary.dispose();
      tf.dispose([run.current, run.best]);
      run.current = next.current;
      run.best = next.best;
      rows.forEach((i, j) => (run.distance[i] = values[j]));
      closer.forEach((j) => (run.bestDistance[rows[j]] = values[j]));
    } finally {
      tf.dispose([x0, perturbed]);
    }
  }

  /** foolbox's _binary_search: the adversarial end of the bracket once it is within tolerance. */
  private async binarySearch(
    oracle: QueryOracle,
    x0: Tensor4D,
    perturbed: Tensor4D,
    rows: number[],
  ): Promise<Tensor4D> {
    const d = x0.shape.slice(1).reduce((a, b) => a * b, 1);
    let highs: number[];
    let thresholds: number[];
    if (this.norm === 'linf') {
      const distance = tf.tidy(() => perturbationNorm(tf.sub(perturbed, x0), 'linf'));
      highs = Array.from(distance.dataSync());
      distance.dispose();
      thresholds = highs.map((h) => (h * this.o.gamma) / (d * d));
    } else {
      highs = rows.map(() => 1);
      thresholds = rows.map(() => this.o.gamma / (d * Math.sqrt(d)));
    }
    const lows = rows.map(() => 0);
    for (let bisection = 0; bisection < MAX_BISECTIONS; bisection++) {
      const pending = rows.flatMap((i, j) =>
        highs[j] - lows[j] > thresholds[j] && oracle.remaining(i) >= 1 ? [j] : [],
      );
      if (pending.length === 0) break;
      const mids = pending.map((j) => (lows[j] + highs[j]) / 2);
      const probe = tf.tidy(() =>
        this.project(gatherRows(x0, pending), gatherRows(perturbed, pending), mids),
      );
      try {
        const adversarial = await oracle.isAdversarial(
          probe,
          pending.map((j) => rows[j]),
        );
        pending.forEach((j, m) => {
          if (adversarial[m]) highs[j] = mids[m];
          else lows[j] = mids[m];
        });
      } finally {
        probe.dispose();
      }
    }
    return tf.tidy(() => this.project(x0, perturbed, highs));
  }

  /** L2: (1 - m) x0 + m x; Linf: x0 + clip(x - x0, -m, m). Call in a tidy. */
  private project(x0: Tensor4D, perturbed: Tensor4D, m: number[]): Tensor4D {
    const column = perRow(m);
    if (this.norm === 'l2')
      return tf.add(tf.mul(tf.sub(1, column), x0), tf.mul(column, perturbed)) as Tensor4D;
    const delta = tf.sub(perturbed, x0);
    return tf.add(x0, tf.minimum(tf.maximum(delta, tf.neg(column)), column)) as Tensor4D;
  }
}

/** The state of one HopSkipJump run. */
interface HsjRun {
  oracle: QueryOracle;
  x0: Tensor4D;
  /** The current boundary point and the smallest adversarial so far, full batch (owned by the run). */
  current: Tensor4D;
  best: Tensor4D;
  /** Distance of the current point and of the best, per input. */
  distance: number[];
  bestDistance: number[];
}
