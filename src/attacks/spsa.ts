/**
 * SPSA (Uesato et al. 2018, "Adversarial risk and the dangers of evaluating against weak attacks"), in Linf,
 * as cleverhans and torchattacks (after advertorch) run it: the perturbation is optimised with Adam on a
 * gradient estimated from scores alone (Rademacher probes of size delta, `samples` antithetic pairs), and
 * clipped to the eps ball and into bounds after every step. The loss is the logit margin of the
 * criterion's goal (torchattacks' MarginalLoss; models/loss.ts `margin`). Defaults: torchattacks' (delta
 * 0.01, Adam learning rate 0.01, 128 samples) with 100 iterations (torchattacks: 1; cleverhans asks).
 *
 * With `earlyStop` (default) each iteration first queries the current image and an input the criterion
 * accepts stops there. Costs (earlyStop ? 1 : 0) + 2 * samples queries per input per iteration;
 * `maxQueries` bounds each input.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import { clipToEpsBall, type Norm } from '../distances/index.js';
import { Adam } from './adam.js';
import { FixedEpsilonAttack, type AttackContext } from './attack.js';
import { gatherRows, scatterRows } from './per-input.js';
import { attackGoal } from './loss-gradient.js';
import { checkChoice, checkInteger, checkPositive, definedOptions } from './option-checks.js';
import { checkMaxQueries, QueryOracle } from './query-oracle.js';
import { estimateGradient, goalScoreLoss, type ScoreLoss, type ScoreLossKind } from './score-gradient.js';

export interface SpsaOptions {
  /** Adam iterations. */
  steps?: number;
  /** Antithetic Rademacher pairs per gradient estimate (2 queries each). */
  samples?: number;
  /** Probe size. */
  delta?: number;
  /** Adam learning rate. */
  learningRate?: number;
  /** The loss ascended: the logit margin (torchattacks') or cross-entropy. */
  loss?: ScoreLossKind;
  /** Query each iterate first and stop an input once the criterion accepts it. */
  earlyStop?: boolean;
  /** Queries per input. */
  maxQueries?: number;
  seed?: number;
}

const DEFAULTS: Required<SpsaOptions> = {
  steps: 100,
  samples: 128,
  delta: 0.01,
  learningRate: 0.01,
  loss: 'margin',
  earlyStop: true,
  maxQueries: Infinity,
  seed: 0,
};

export class SPSA extends FixedEpsilonAttack {
  readonly name = 'spsa';
  readonly norm: Norm = 'linf';
  override readonly countsQueries = true;
  private readonly o: Required<SpsaOptions>;

  constructor(options: SpsaOptions = {}) {
    super();
    this.o = { ...DEFAULTS, ...definedOptions(options) };
    checkInteger(this.name, 'steps', this.o.steps, 1);
    checkInteger(this.name, 'samples', this.o.samples, 1);
    checkPositive(this.name, 'delta', this.o.delta);
    checkPositive(this.name, 'learningRate', this.o.learningRate);
    checkChoice(this.name, 'loss', this.o.loss, ['crossentropy', 'margin']);
    checkMaxQueries(this.name, this.o.maxQueries);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async attack(x0: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion, progress } = context;
    const goal = attackGoal(criterion, this.name);
    if (eps === 0) return tf.clone(x0);
    const o = this.o;
    const n = x0.shape[0];
    const oracle = new QueryOracle(model, criterion, context.queries, o.maxQueries, this.name);
    oracle.requireScores();
    const run: SpsaRun = {
      oracle,
      x0,
      eps,
      loss: goalScoreLoss(goal, o.loss),
      rng: new Rng(o.seed),
      x: tf.clone(x0),
      // Inputs only ever leave the batch, so the ones still moving share Adam's step count: one optimiser
      // over the whole batch (zero gradient for the others, whose iterates no longer change) is exact.
      adam: new Adam(x0.shape, o.learningRate),
    };
    const done = new Array<boolean>(n).fill(false);
    const check = o.earlyStop ? 1 : 0;
    const cost = check + 2 * o.samples;
    try {
      for (let step = 0; step < o.steps; step++) {
        let active = run.oracle.affordable(
          done.flatMap((d, i) => (d ? [] : [i])),
          cost,
        );
        if (active.length === 0) break;
        if (o.earlyStop) {
          const current = gatherRows(run.x, active);
          let adversarial: boolean[];
          try {
            adversarial = await run.oracle.isAdversarial(current, active);
          } finally {
            current.dispose();
          }
          active.forEach((i, j) => (done[i] = adversarial[j]));
          active = active.filter((i) => !done[i]);
        }
        if (active.length === 0) break;
        await this.step(run, active);
        // an input that cannot afford the next iteration is done too
        active.forEach((i) => (done[i] = done[i] || run.oracle.remaining(i) < cost));
        progress(step + 1, o.steps);
        if (step % 4 === 3) await yieldToEventLoop();
      }
    } catch (error) {
      run.x.dispose();
      throw error;
    } finally {
      run.adam.dispose();
    }
    return run.x;
  }

  /** One Adam step for the inputs `rows` on the SPSA estimate (Adam descends minus the ascended loss). */
  private async step(run: SpsaRun, rows: number[]): Promise<void> {
    const current = gatherRows(run.x, rows);
    try {
      const { gradient } = await estimateGradient(
        run.oracle,
        current,
        rows,
        run.loss,
        { pairs: this.o.samples, scale: this.o.delta, distribution: 'rademacher' },
        run.rng,
      );
      const descent = tf.tidy(() => scatterRows(tf.zerosLike(run.x0), rows, tf.neg(gradient) as Tensor4D));
      gradient.dispose();
      const update = run.adam.step(descent);
      descent.dispose();
      const next = tf.tidy(() => {
        const moved = tf.sub(current, gatherRows(update, rows)) as Tensor4D;
        const projected = clipToEpsBall(gatherRows(run.x0, rows), moved, 'linf', run.eps, run.oracle.bounds);
        return scatterRows(run.x, rows, projected);
      });
      update.dispose();
      run.x.dispose();
      run.x = next;
    } finally {
      current.dispose();
    }
  }
}

/** The state of one SPSA run. */
interface SpsaRun {
  oracle: QueryOracle;
  x0: Tensor4D;
  eps: number;
  loss: ScoreLoss;
  rng: Rng;
  /** The current images, full batch (owned by the run). */
  x: Tensor4D;
  adam: Adam;
}
