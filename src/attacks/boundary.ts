/**
 * The Boundary attack (Brendel et al. 2018, "Decision-based adversarial attacks"), with foolbox 3's
 * semantics and defaults: a minimization attack in L2 that only sees the criterion's verdict. It starts
 * from an adversarial (blended uniform noise, or given `startingPoints`) and walks along the decision
 * boundary towards the input: each step draws a Gaussian direction orthogonal to the line to the input,
 * moves on the sphere around the input by `sphericalStep` (relative), then towards the input by
 * `sourceStep` (relative), and keeps the candidate when it is adversarial and closer. Every
 * `updateStatsEvery` steps the spherical candidate is queried too, and the step sizes adapt to the success
 * rates (spherical > 0.5 or < 0.2 over 100 tries, source > 0.25 or < 0.1 over 30, by `stepAdaptation`).
 * An input stops when its source step falls below `sourceStepConvergence`.
 *
 * Differences from foolbox: each input draws its own Gaussian direction (foolbox shares one across the
 * batch), an input whose starting point could not be found is returned unchanged (foolbox raises), and
 * inputs that have converged or spent their budget are not queried any more.
 *
 * Costs: the starting point search, then 1 query per input per step (2 every updateStatsEvery steps);
 * `maxQueries` bounds each input.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import type { Norm } from '../distances/index.js';
import { MinimizationAttack, type AttackContext } from './attack.js';
import { gatherRows, scatterRows } from './per-input.js';
import { checkInteger, checkPositive, definedOptions } from './option-checks.js';
import { OutcomeWindow } from './outcome-window.js';
import { checkMaxQueries, QueryOracle } from './query-oracle.js';
import { blendedNoiseStart, givenStart, type StartingPoints } from './starting-points.js';
import { gaussian } from './random-probes.js';

export interface BoundaryOptions {
  steps?: number;
  /** Initial size of the orthogonal (spherical) step, relative to the distance to the input. */
  sphericalStep?: number;
  /** Initial size of the step towards the input, relative to the distance. */
  sourceStep?: number;
  /** An input has converged when its source step falls below this. */
  sourceStepConvergence?: number;
  /** Factor by which step sizes grow or shrink. */
  stepAdaptation?: number;
  /** Steps between step-size updates (and spherical-candidate queries). */
  updateStatsEvery?: number;
  /** Adversarial starting points, shaped like the inputs (default: blended uniform noise). */
  startingPoints?: Tensor4D;
  /** Queries per input, the starting point search included. */
  maxQueries?: number;
  seed?: number;
}

type Resolved = Required<Omit<BoundaryOptions, 'startingPoints'>> & Pick<BoundaryOptions, 'startingPoints'>;

const DEFAULTS: Resolved = {
  steps: 25_000,
  sphericalStep: 0.01,
  sourceStep: 0.01,
  sourceStepConvergence: 1e-7,
  stepAdaptation: 1.5,
  updateStatsEvery: 10,
  maxQueries: Infinity,
  seed: 0,
};

/** Per-input state of the step-size adaptation. */
interface StepSizes {
  spherical: number;
  source: number;
  sphericalStats: OutcomeWindow;
  sourceStats: OutcomeWindow;
}

export class BoundaryAttack extends MinimizationAttack {
  readonly name = 'boundary';
  readonly norm: Norm = 'l2';
  override readonly countsQueries = true;
  private readonly o: Resolved;

  constructor(options: BoundaryOptions = {}) {
    super();
    this.o = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.o;
    checkInteger(this.name, 'steps', o.steps, 1);
    checkPositive(this.name, 'sphericalStep', o.sphericalStep);
    checkPositive(this.name, 'sourceStep', o.sourceStep);
    checkPositive(this.name, 'sourceStepConvergence', o.sourceStepConvergence);
    if (!(o.stepAdaptation > 1) || !Number.isFinite(o.stepAdaptation))
      throw new Error(`boundary: stepAdaptation must be > 1 (got ${o.stepAdaptation})`);
    checkInteger(this.name, 'updateStatsEvery', o.updateStatsEvery, 1);
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
    const start: StartingPoints =
      o.startingPoints === undefined
        ? await blendedNoiseStart(oracle, x0, rng)
        : await givenStart(oracle, x0, o.startingPoints, this.name);
    let best = start.starts;
    const n = x0.shape[0];
    const sizes: StepSizes[] = Array.from({ length: n }, () => ({
      spherical: o.sphericalStep,
      source: o.sourceStep,
      sphericalStats: new OutcomeWindow(100),
      sourceStats: new OutcomeWindow(30),
    }));
    const walking = new Array<boolean>(n).fill(false).map((_, i) => start.found[i] && !start.clean[i]);
    try {
      for (let step = 1; step <= o.steps; step++) {
        const updateStats = step % o.updateStatsEvery === 0;
        const cost = updateStats ? 2 : 1;
        for (let i = 0; i < n; i++) {
          if (!walking[i]) continue;
          if (sizes[i].source < o.sourceStepConvergence || oracle.remaining(i) < cost) walking[i] = false;
        }
        const rows = walking.flatMap((w, i) => (w ? [i] : []));
        if (rows.length === 0) break;
        best = await this.step(oracle, x0, best, rows, sizes, updateStats, rng);
        progress(step, o.steps);
        if (step % 16 === 0) await yieldToEventLoop();
      }
    } catch (error) {
      best.dispose();
      throw error;
    }
    return best;
  }

  /** One step for the inputs `rows`: propose, query, keep closer adversarials, adapt step sizes. */
  private async step(
    oracle: QueryOracle,
    x0: Tensor4D,
    best: Tensor4D,
    rows: number[],
    sizes: StepSizes[],
    updateStats: boolean,
    rng: Rng,
  ): Promise<Tensor4D> {
    const { candidates, spherical, sourceNorms } = tf.tidy(() =>
      proposals(
        gatherRows(x0, rows),
        gatherRows(best, rows),
        rows.map((i) => sizes[i].spherical),
        rows.map((i) => sizes[i].source),
        oracle.bounds,
        rng,
      ),
    );
    let next = best;
    try {
      const adversarial = await oracle.isAdversarial(candidates, rows);
      const sphericalAdversarial = updateStats ? await oracle.isAdversarial(spherical, rows) : null;
      const distance = tf.tidy(() => l2(tf.sub(gatherRows(x0, rows), candidates)));
      const distances = Array.from(distance.dataSync());
      const previous = Array.from(sourceNorms.dataSync());
      distance.dispose();
      const better = rows.flatMap((_, j) => (adversarial[j] && distances[j] < previous[j] ? [j] : []));
      if (better.length > 0) {
        next = tf.tidy(() =>
          scatterRows(
            best,
            better.map((j) => rows[j]),
            gatherRows(candidates, better),
          ),
        );
        best.dispose();
      }
      if (sphericalAdversarial !== null)
        rows.forEach((i, j) => this.adapt(sizes[i], sphericalAdversarial[j], adversarial[j]));
      return next;
    } finally {
      tf.dispose([candidates, spherical, sourceNorms]);
    }
  }

  /** foolbox's step-size adaptation from the recent success rates of one input. */
  private adapt(size: StepSizes, sphericalAdversarial: boolean, adversarial: boolean): void {
    const f = this.o.stepAdaptation;
    size.sphericalStats.push(sphericalAdversarial);
    size.sourceStats.push(adversarial);
    if (size.sphericalStats.full) {
      const p = size.sphericalStats.mean;
      if (p > 0.5) {
        size.spherical *= f;
        size.source *= f;
      } else if (p < 0.2) {
        size.spherical /= f;
        size.source /= f;
      }
      if (p > 0.5 || p < 0.2) size.sphericalStats.clear();
    }
    if (size.sourceStats.full) {
      const p = size.sourceStats.mean;
      if (p > 0.25) size.source *= f;
      else if (p < 0.1) size.source /= f;
      if (p > 0.25 || p < 0.1) size.sourceStats.clear();
    }
  }
}

/** L2 norm per row of a batch. */
function l2(t: tf.Tensor): Tensor1D {
  return tf.norm(tf.reshape(t, [t.shape[0], -1]), 'euclidean', 1) as Tensor1D;
}

/**
 * foolbox's draw_proposals: a spherical candidate (a Gaussian direction orthogonal to the line to the
 * input, scaled to sphericalStep times the distance, projected back onto the sphere around the input), and
 * the candidate a sourceStep closer to the input from there; both clipped into bounds. Call in a tidy.
 */
function proposals(
  originals: Tensor4D,
  perturbed: Tensor4D,
  sphericalSteps: number[],
  sourceSteps: number[],
  bounds: readonly [number, number],
  rng: Rng,
): { candidates: Tensor4D; spherical: Tensor4D; sourceNorms: Tensor1D } {
  const shape = originals.shape;
  const n = shape[0];
  const x0 = tf.reshape(originals, [n, -1]) as Tensor2D;
  const unnormalized = tf.sub(x0, tf.reshape(perturbed, [n, -1])) as Tensor2D;
  const sourceNorms = tf.norm(unnormalized, 'euclidean', 1) as Tensor1D;
  const direction = tf.div(unnormalized, tf.expandDims(sourceNorms, 1));
  const column = (values: number[]) => tf.tensor2d(values, [n, 1]);
  const spherical = column(sphericalSteps);
  const norms = tf.expandDims(sourceNorms, 1);

  let eta = gaussian([n, x0.shape[1]], rng) as Tensor2D;
  eta = tf.sub(eta, tf.mul(tf.sum(tf.mul(eta, direction), 1, true), direction));
  eta = tf.mul(eta, tf.div(tf.mul(spherical, norms), tf.norm(eta, 'euclidean', 1, true)));
  const onSphere = tf.div(tf.sub(eta, unnormalized), tf.sqrt(tf.add(tf.square(spherical), 1)));
  const sphericalCandidates = tf.clipByValue(tf.add(x0, onSphere), bounds[0], bounds[1]);

  const towards = tf.sub(x0, sphericalCandidates);
  const towardsNorms = tf.norm(towards, 'euclidean', 1, true);
  // the step length, corrected for the candidate's numerical deviation from the sphere, never negative
  const lengths = tf.maximum(tf.add(tf.mul(column(sourceSteps), norms), tf.sub(towardsNorms, norms)), 0);
  const candidates = tf.clipByValue(
    tf.add(sphericalCandidates, tf.mul(tf.div(lengths, towardsNorms), towards)),
    bounds[0],
    bounds[1],
  );
  return {
    candidates: tf.reshape(candidates, shape) as Tensor4D,
    spherical: tf.reshape(sphericalCandidates, shape) as Tensor4D,
    sourceNorms,
  };
}
