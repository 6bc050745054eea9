/**
 * SimBA (Guo et al. 2019, "Simple black-box adversarial attacks"): walk along orthonormal directions q,
 * one at a time, trying x - eps q, then x + eps q, and keep a step when it lowers the model's probability
 * of the label (raises that of the target, for targeted criteria); stop when the criterion accepts the
 * image. SimBA-DCT (default) draws q from the low-frequency DCT basis, SimBA (`basis: 'pixel'`) from the
 * pixels. Every accepted step adds eps along a fresh orthonormal direction, so the L2 norm of the
 * perturbation (before clipping into bounds) is eps sqrt(accepted steps).
 *
 * Semantics: a minimization attack in L2 (like foolbox's decision- and noise-based attacks): it runs once,
 * returns the first adversarial it finds (or its last iterate, when it finds none) and is clipped per
 * epsilon; `epsilons: null` gives its adversarials unclipped. The probability is compared on the log scale
 * (log-softmax: the same decisions as the reference's softmax without float32 saturation at 1).
 * Defaults: the reference's step 0.2 and strided DCT order with the lowest 1/8 of the frequencies first,
 * bands of 1/32 after them; all directions at most once.
 *
 * Costs 1 query per input for the clean image and 1 or 2 per direction tried; `maxQueries` bounds each
 * input. All inputs try the same direction in the same iteration (the reference's batching).
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import type { Norm } from '../distances/index.js';
import type { AttackGoal } from '../criteria/index.js';
import { MinimizationAttack, type AttackContext } from './attack.js';
import { attackGoal } from './loss-gradient.js';
import { checkChoice, checkInteger, checkPositive, definedOptions } from './option-checks.js';
import { checkMaxQueries, QueryOracle } from './query-oracle.js';
import { SimbaDirections, type SimbaBasis } from './simba-directions.js';

export interface SimbaOptions {
  /** Search directions: the low-frequency DCT basis (SimBA-DCT) or pixels (SimBA). */
  basis?: SimbaBasis;
  /** Step along each direction (L2 length). */
  stepSize?: number;
  /** DCT: side of the lowest-frequency block tried first (default: 1/8 of the image side, rounded up). */
  freqDims?: number;
  /** DCT: rows and columns added per band after it (default: 1/32 of the image side, at least 1). */
  stride?: number;
  /** Directions tried at most (default: all of them). */
  maxIterations?: number;
  /** Queries per input. */
  maxQueries?: number;
  seed?: number;
}

type Resolved = Required<Omit<SimbaOptions, 'freqDims' | 'stride' | 'maxIterations'>> &
  Pick<SimbaOptions, 'freqDims' | 'stride' | 'maxIterations'>;

const DEFAULTS: Resolved = { basis: 'dct', stepSize: 0.2, maxQueries: Infinity, seed: 0 };

/** Log-probability of class `label` in a row of logits (log-softmax, in double precision). */
function logProbability(logits: ArrayLike<number>, offset: number, k: number, label: number): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(logits[offset + j] - max);
  return logits[offset + label] - max - Math.log(sum);
}

export class SimBA extends MinimizationAttack {
  readonly name = 'simba';
  readonly norm: Norm = 'l2';
  override readonly countsQueries = true;
  private readonly o: Resolved;

  constructor(options: SimbaOptions = {}) {
    super();
    this.o = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.o;
    checkChoice(this.name, 'basis', o.basis, ['dct', 'pixel']);
    checkPositive(this.name, 'stepSize', o.stepSize);
    if (o.freqDims !== undefined) checkInteger(this.name, 'freqDims', o.freqDims, 1);
    if (o.stride !== undefined) checkInteger(this.name, 'stride', o.stride, 1);
    if (o.maxIterations !== undefined) checkInteger(this.name, 'maxIterations', o.maxIterations, 1);
    checkMaxQueries(this.name, o.maxQueries);
  }

  describe(): Record<string, unknown> {
    return { ...this.o };
  }

  protected async minimize(x0: Tensor4D, context: AttackContext): Promise<Tensor4D> {
    const { model, criterion, progress } = context;
    const o = this.o;
    const [n, h, w, c] = x0.shape;
    const oracle = new QueryOracle(model, criterion, context.queries, o.maxQueries, this.name);
    oracle.requireScores();
    const original = x0.dataSync() as Float32Array;
    const run: SimbaRun = {
      oracle,
      goal: attackGoal(criterion, this.name),
      shape: [h, w, c],
      x0: original,
      delta: new Float64Array(original.length),
      current: Float32Array.from(original),
      done: new Array<boolean>(n).fill(false),
      score: new Array<number>(n).fill(0),
    };
    const directions = new SimbaDirections(o.basis, [h, w, c]);
    const side = Math.min(h, w);
    const order = directions.order(
      new Rng(o.seed),
      o.freqDims ?? Math.ceil(side / 8),
      o.stride ?? Math.max(1, Math.round(side / 32)),
    );
    const iterations = Math.min(o.maxIterations ?? order.length, order.length);
    const sign = run.goal.targeted ? -1 : 1;
    const lower = (s: number, i: number) => sign * s < sign * run.score[i];
    // the clean images: their scores, and which are adversarial already
    await this.probe(run, this.pending(run), null, () => true);
    for (let k = 0; k < iterations; k++) {
      let rows = this.pending(run);
      if (rows.length === 0) break;
      const q = directions.vector(order[k]);
      for (const length of [-o.stepSize, o.stepSize]) {
        rows = oracle.affordable(rows, 1);
        if (rows.length === 0) break;
        const moved = new Set(await this.probe(run, rows, { q, length }, lower));
        rows = rows.filter((i) => !moved.has(i));
      }
      progress(k + 1, iterations);
      if (k % 16 === 15) await yieldToEventLoop();
    }
    return tf.tensor4d(run.current, [n, h, w, c]);
  }

  /** Inputs not yet adversarial that can still spend a query. */
  private pending(run: SimbaRun): number[] {
    return run.oracle.affordable(
      run.done.flatMap((d, i) => (d ? [] : [i])),
      1,
    );
  }

  /**
   * Queries clip(x0 + delta + length q) for `rows` (or the current images, with no step). Rows whose new
   * score `accept` takes move there: their delta, image, score and verdict (done when adversarial) are
   * updated. Returns the rows that moved.
   */
  private async probe(
    run: SimbaRun,
    rows: number[],
    step: { q: Float32Array; length: number } | null,
    accept: (score: number, i: number) => boolean,
  ): Promise<number[]> {
    if (rows.length === 0) return [];
    const size = run.shape[0] * run.shape[1] * run.shape[2];
    const [lo, hi] = run.oracle.bounds;
    const candidates = new Float32Array(rows.length * size);
    rows.forEach((i, j) => {
      const from = i * size;
      const to = j * size;
      for (let p = 0; p < size; p++) {
        const v = run.x0[from + p] + run.delta[from + p] + (step === null ? 0 : step.length * step.q[p]);
        candidates[to + p] = v < lo ? lo : v > hi ? hi : v;
      }
    });
    const images = tf.tensor4d(candidates, [rows.length, ...run.shape]);
    let scores: number[];
    let verdict: boolean[];
    try {
      const logits = await run.oracle.logits(images, rows);
      try {
        const values = logits.dataSync();
        const k = logits.shape[1];
        scores = rows.map((i, j) => logProbability(values, j * k, k, run.goal.labels[i]));
        verdict = run.oracle.verdict(images, logits, rows);
      } finally {
        logits.dispose();
      }
    } finally {
      images.dispose();
    }
    const moved: number[] = [];
    rows.forEach((i, j) => {
      if (!accept(scores[j], i)) return;
      run.score[i] = scores[j];
      run.done[i] = verdict[j];
      run.current.set(candidates.subarray(j * size, (j + 1) * size), i * size);
      if (step !== null) for (let p = 0; p < size; p++) run.delta[i * size + p] += step.length * step.q[p];
      moved.push(i);
    });
    return moved;
  }
}

/** The state of one SimBA run, per input in plain arrays (`[N, H, W, C]` row-major). */
interface SimbaRun {
  oracle: QueryOracle;
  goal: AttackGoal;
  shape: [number, number, number];
  x0: Float32Array;
  /** The sum of the accepted steps (unclipped, in double precision). */
  delta: Float64Array;
  /** The image each input is at: the last accepted candidate, clip(x0 + delta), exactly as queried. */
  current: Float32Array;
  /** Adversarial already (stops querying). */
  done: boolean[];
  /** Current log-probability of the goal class. */
  score: number[];
}
