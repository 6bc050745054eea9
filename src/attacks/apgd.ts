/**
 * Auto-PGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks") in Linf and L2, as fra31/auto-attack's autopgd_base.py runs it:
 *
 * - start at a random point on the eps sphere (Linf: uniform noise scaled to Linf norm eps; L2: Gaussian
 *   noise scaled to L2 norm eps), clipped into bounds; step size 2 eps;
 * - each step moves along the sign (Linf) or the L2-normalised gradient, projects onto the eps ball and
 *   into bounds, and mixes in momentum: x <- P(x + 0.75 (z - x) + 0.25 (x - x_prev)) (no momentum on the
 *   first step);
 * - at checkpoints (after 22% of the steps, then after intervals 3% shorter each time, at least 6%), an
 *   input halves its step size and restarts from its best point (highest loss) when its loss rose in at
 *   most rho = 75% of the steps since the last checkpoint, or when its step size was not halved at the last
 *   checkpoint and its best loss has not improved since;
 * - `restarts` runs from fresh random starts, each on the inputs not yet fooled; `eotIterations` gradients
 *   averaged per step for randomized models (EOT; AutoAttack's 'rand' version uses 20).
 *
 * APGD-CE ascends the cross-entropy, APGD-DLR the difference of logits ratio; APGD-T the targeted DLR
 * loss, once towards each of the `targetClasses` most likely wrong classes (by clean logit) in turn, on
 * the inputs not yet fooled. The losses are the model seam's ('crossentropy', 'dlr', 'dlr-targeted').
 * Success is the criterion's verdict on the logits of each step's forward pass; an input leaves the batch
 * at its first fooling iterate (AutoAttack keeps stepping it, with the same verdict), which is what it
 * returns; an input never fooled returns its highest-loss point of the last run.
 * With a targeted criterion, APGD-CE descends the cross-entropy of the target, APGD-DLR and APGD-T ascend
 * the targeted DLR loss from the clean prediction towards the criterion's target.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import type { AttackGoal, Criterion } from '../criteria/index.js';
import type { Norm } from '../distances/index.js';
import type { Loss } from '../models/loss.js';
import type { Bounds, LossGradient, Model } from '../models/model.js';
import { criterionFlags, FixedEpsilonAttack, type AttackContext } from './attack.js';
import { attackGoal, requireDifferentiable } from './loss-gradient.js';
import {
  checkChoice,
  checkInRange,
  checkInteger,
  checkRestartedAttack,
  definedOptions,
} from './option-checks.js';
import { gatherRows, perRow, rowNorms, scatterRows, selectRows } from './per-input.js';
import { cleanStart, passTargets, sourceLabels, targetClassCount } from './ranked-targets.js';

export type ApgdNorm = 'linf' | 'l2';
export type ApgdLoss = 'ce' | 'dlr';

export interface ApgdOptions {
  /** The norm of the eps ball (AutoAttack: 'Linf', 'L2'). */
  norm?: ApgdNorm;
  /** Iterations per run (n_iter). */
  steps?: number;
  /** Runs from fresh random starts, each on the inputs not yet fooled (n_restarts). */
  restarts?: number;
  /** Share of loss increases below which a checkpoint halves the step size (rho, thr_decr). */
  rho?: number;
  /** Gradients averaged per step (eot_iter): Expectation over Transformation for randomized models. */
  eotIterations?: number;
  seed?: number;
}

export interface ApgdLossOptions extends ApgdOptions {
  /** 'ce' (cross-entropy) or 'dlr' (difference of logits ratio). */
  loss?: ApgdLoss;
}

export interface ApgdTargetedOptions extends ApgdOptions {
  /** Target classes tried, the most likely wrong ones first (n_target_classes). */
  targetClasses?: number;
}

type Resolved = Required<ApgdOptions>;

const DEFAULTS: Resolved = { norm: 'linf', steps: 100, restarts: 1, rho: 0.75, eotIterations: 1, seed: 0 };
const MOMENTUM = 0.75;
/** The step size every run starts with, relative to eps. */
const INITIAL_STEP = 2;
const TINY = 1e-12;

/** A loss for some rows of the batch (given by their indices). */
type LossOfRows = (rows: readonly number[]) => Loss;

const pick = (values: readonly number[], rows: readonly number[]) => rows.map((r) => values[r]);

/** The checkpoint intervals of a run of `steps` iterations (n_iter_2, n_iter_min, size_decr). */
function checkpointSchedule(steps: number): { first: number; min: number; decrease: number } {
  return {
    first: Math.max(Math.floor(0.22 * steps), 1),
    min: Math.max(Math.floor(0.06 * steps), 1),
    decrease: Math.max(Math.floor(0.03 * steps), 1),
  };
}

/** Each row divided by its norm (+1e-12): sign-free scaling as the reference's `normalize`. */
function normalizeRows(t: Tensor4D, norm: ApgdNorm): Tensor4D {
  return tf.tidy(() => tf.div(t, tf.add(perRow(rowNorms(t, norm)), TINY)) as Tensor4D);
}

/** x0 + the part of (x - x0) inside the eps ball, clipped into bounds (the reference's projections). */
function projectToBall(x0: Tensor4D, x: Tensor4D, eps: number, norm: ApgdNorm, bounds: Bounds): Tensor4D {
  return tf.tidy(() => {
    if (norm === 'linf') {
      const inBall = tf.minimum(tf.maximum(x, tf.sub(x0, eps)), tf.add(x0, eps));
      return tf.clipByValue(inBall, bounds[0], bounds[1]) as Tensor4D;
    }
    const delta = tf.sub(x, x0) as Tensor4D;
    const length = tf.minimum(perRow(rowNorms(delta, 'l2')), eps);
    return tf.clipByValue(
      tf.add(x0, tf.mul(normalizeRows(delta, 'l2'), length)),
      bounds[0],
      bounds[1],
    ) as Tensor4D;
  });
}

/** One APGD step with momentum: z = P(x + eta * direction), x' = P(x + a (z - x) + (1 - a)(x - x_prev)). */
function momentumStep(
  x0: Tensor4D,
  x: Tensor4D,
  previous: Tensor4D,
  gradient: Tensor4D,
  stepSize: readonly number[],
  a: number,
  eps: number,
  norm: ApgdNorm,
  bounds: Bounds,
): Tensor4D {
  return tf.tidy(() => {
    const direction = norm === 'linf' ? tf.sign(gradient) : normalizeRows(gradient, 'l2');
    const z = projectToBall(
      x0,
      tf.add(x, tf.mul(direction, perRow(stepSize))) as Tensor4D,
      eps,
      norm,
      bounds,
    );
    const mixed = tf.add(tf.add(x, tf.mul(tf.sub(z, x), a)), tf.mul(tf.sub(x, previous), 1 - a)) as Tensor4D;
    return projectToBall(x0, mixed, eps, norm, bounds);
  });
}

/** A random point on the eps sphere around each input, clipped into bounds (the reference's start). */
function randomStart(x0: Tensor4D, eps: number, norm: ApgdNorm, bounds: Bounds, rng: Rng): Tensor4D {
  return tf.tidy(() => {
    const noise = (norm === 'linf' ? rng.uniform(x0.shape, -1, 1) : rng.normal(x0.shape)) as Tensor4D;
    const start = tf.add(x0, tf.mul(normalizeRows(noise, norm), eps));
    return tf.clipByValue(start, bounds[0], bounds[1]) as Tensor4D;
  });
}

/** The input gradient of `loss` averaged over `draws` passes, with the logits and loss of the last one. */
async function averagedGradient(model: Model, x: Tensor4D, loss: Loss, draws: number): Promise<LossGradient> {
  let result = await model.lossGradient(x, loss);
  if (draws === 1) return result;
  let sum = result.gradient;
  try {
    for (let k = 1; k < draws; k++) {
      const next = await model.lossGradient(x, loss);
      tf.dispose([result.logits, result.loss]);
      const total = tf.add(sum, next.gradient) as Tensor4D;
      tf.dispose([sum, next.gradient]);
      sum = total;
      result = next;
    }
    const gradient = tf.div(sum, draws) as Tensor4D;
    sum.dispose();
    return { gradient, logits: result.logits, loss: result.loss };
  } catch (error) {
    tf.dispose([sum, result.logits, result.loss]);
    throw error;
  }
}

/** Did the loss rise in at most `rho` of the last k steps (Python's wrap-around at index -1 included)? */
function oscillates(history: Float64Array, step: number, k: number, rho: number): boolean {
  const n = history.length;
  let increases = 0;
  for (let c = 0; c < k; c++) {
    if (history[(step - c + n) % n] > history[(step - c - 1 + n) % n]) increases++;
  }
  return increases <= k * rho;
}

/** The rows still attacked in one run: tensors hold those rows only. */
interface RunState {
  /** Index (into the run's inputs) of each row. */
  owners: number[];
  x0: Tensor4D;
  x: Tensor4D;
  previous: Tensor4D;
  gradient: Tensor4D;
  best: Tensor4D;
  bestGradient: Tensor4D;
  bestLoss: number[];
  stepSize: number[];
  history: Float64Array[];
  bestAtCheck: number[];
  reducedAtCheck: boolean[];
}

const stateTensors = (s: RunState) => [s.x0, s.x, s.previous, s.gradient, s.best, s.bestGradient];

/** The state restricted to the rows at positions `keep`. */
function keepRows(s: RunState, keep: readonly number[]): RunState {
  const take = <T>(list: readonly T[]) => keep.map((j) => list[j]);
  const next: RunState = {
    owners: take(s.owners),
    x0: gatherRows(s.x0, keep),
    x: gatherRows(s.x, keep),
    previous: gatherRows(s.previous, keep),
    gradient: gatherRows(s.gradient, keep),
    best: gatherRows(s.best, keep),
    bestGradient: gatherRows(s.bestGradient, keep),
    bestLoss: take(s.bestLoss),
    stepSize: take(s.stepSize),
    history: take(s.history),
    bestAtCheck: take(s.bestAtCheck),
    reducedAtCheck: take(s.reducedAtCheck),
  };
  tf.dispose(stateTensors(s));
  return next;
}

interface RunResult {
  fooled: boolean[];
  /** The first fooling iterate of fooled inputs, the highest-loss point of the others. */
  points: Tensor4D;
}

interface RunSetup {
  model: Model;
  criterion: Criterion;
  loss: LossOfRows;
  eps: number;
  options: Resolved;
  rng: Rng;
  onStep: () => void;
}

/** Writes the current iterate of the rows the criterion accepts into `points` and drops them. */
function harvestFooled(s: RunState, flags: readonly boolean[], result: RunResult): RunState {
  const hit = flags.flatMap((f, j) => (f ? [j] : []));
  if (hit.length === 0) return s;
  const adversarial = gatherRows(s.x, hit);
  const points = scatterRows(
    result.points,
    hit.map((j) => s.owners[j]),
    adversarial,
  );
  tf.dispose([result.points, adversarial]);
  result.points = points;
  hit.forEach((j) => (result.fooled[s.owners[j]] = true));
  return keepRows(
    s,
    flags.flatMap((f, j) => (f ? [] : [j])),
  );
}

/** One APGD run (attack_single_run) on the batch `x0`. */
async function apgdRun(x0: Tensor4D, setup: RunSetup): Promise<RunResult> {
  const { model, criterion, loss, eps, options: o, rng, onStep } = setup;
  const n = x0.shape[0];
  const result: RunResult = { fooled: new Array<boolean>(n).fill(false), points: tf.clone(x0) };
  const all = Array.from({ length: n }, (_, i) => i);
  const x = randomStart(x0, eps, o.norm, model.bounds, rng);
  let s: RunState | null = null;
  try {
    const first = await averagedGradient(model, x, loss(all), o.eotIterations);
    const values = Array.from(first.loss.dataSync());
    const flags = criterionFlags(criterion, x, first.logits);
    tf.dispose([first.logits, first.loss]);
    s = {
      owners: all,
      x0: tf.clone(x0),
      x,
      previous: tf.clone(x),
      gradient: first.gradient,
      best: tf.clone(x),
      bestGradient: tf.clone(first.gradient),
      bestLoss: values,
      stepSize: new Array<number>(n).fill(INITIAL_STEP * eps),
      history: all.map(() => new Float64Array(o.steps)),
      bestAtCheck: [...values],
      reducedAtCheck: new Array<boolean>(n).fill(true),
    };
    s = harvestFooled(s, flags, result);
    const schedule = checkpointSchedule(o.steps);
    let interval = schedule.first;
    let sinceCheck = 0;
    for (let i = 0; i < o.steps; i++) {
      onStep();
      if (s.owners.length === 0) continue;
      const state: RunState = s;
      const a = i > 0 ? MOMENTUM : 1;
      const next = momentumStep(
        state.x0,
        state.x,
        state.previous,
        state.gradient,
        state.stepSize,
        a,
        eps,
        o.norm,
        model.bounds,
      );
      state.previous.dispose();
      state.previous = state.x;
      state.x = next;
      const pass = await averagedGradient(model, state.x, loss(state.owners), o.eotIterations);
      state.gradient.dispose();
      state.gradient = pass.gradient;
      const stepLoss = Array.from(pass.loss.dataSync());
      const stepFlags = criterionFlags(criterion.subset(state.owners), state.x, pass.logits);
      tf.dispose([pass.logits, pass.loss]);
      const improved = stepLoss.map((v, j) => v > state.bestLoss[j]);
      const best = selectRows(improved, state.x, state.best);
      const bestGradient = selectRows(improved, state.gradient, state.bestGradient);
      tf.dispose([state.best, state.bestGradient]);
      state.best = best;
      state.bestGradient = bestGradient;
      stepLoss.forEach((v, j) => {
        state.history[j][i] = v;
        if (improved[j]) state.bestLoss[j] = v;
      });
      s = harvestFooled(state, stepFlags, result);
      sinceCheck++;
      if (sinceCheck === interval) {
        checkpoint(s, i, interval, o.rho);
        interval = Math.max(interval - schedule.decrease, schedule.min);
        sinceCheck = 0;
      }
      if (i % 8 === 7) await yieldToEventLoop();
    }
    if (s.owners.length > 0) {
      const points = scatterRows(result.points, s.owners, s.best);
      result.points.dispose();
      result.points = points;
    }
    tf.dispose(stateTensors(s));
    return result;
  } catch (error) {
    tf.dispose(s === null ? [x, result.points] : [...stateTensors(s), result.points]);
    throw error;
  }
}

/** The step-size check: halve and restart from the best point where progress stalled. */
function checkpoint(s: RunState, step: number, interval: number, rho: number): void {
  const reduce = s.owners.map(
    (_, j) =>
      oscillates(s.history[j], step, interval, rho) ||
      (!s.reducedAtCheck[j] && s.bestAtCheck[j] >= s.bestLoss[j]),
  );
  s.reducedAtCheck = reduce;
  s.bestAtCheck = [...s.bestLoss];
  if (!reduce.some(Boolean)) return;
  s.stepSize = s.stepSize.map((size, j) => (reduce[j] ? size / 2 : size));
  const x = selectRows(reduce, s.best, s.x);
  const gradient = selectRows(reduce, s.bestGradient, s.gradient);
  tf.dispose([s.x, s.gradient]);
  s.x = x;
  s.gradient = gradient;
}

/** What APGD and APGD-T share: the runs over passes and restarts on the inputs not yet fooled. */
abstract class AutoPgdAttack extends FixedEpsilonAttack {
  readonly norm: Norm;
  protected readonly options: Resolved;

  constructor(options: ApgdOptions) {
    super();
    this.options = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.options;
    const name = this.constructor.name;
    this.norm = checkRestartedAttack(name, o);
    checkInteger(name, 'eotIterations', o.eotIterations, 1);
    checkInRange(name, 'rho', o.rho, 0, 1, true);
  }

  describe(): Record<string, unknown> {
    return { ...this.options };
  }

  protected get prefix(): string {
    return this.norm === 'l2' ? 'l2-' : '';
  }

  /** The losses of the passes, in order (each pass runs `restarts` times on the inputs not yet fooled). */
  protected abstract passes(goal: AttackGoal, ranked: number[][], numClasses: number): LossOfRows[];

  protected async attack(
    x0: Tensor4D,
    eps: number,
    { model, criterion, progress }: AttackContext,
  ): Promise<Tensor4D> {
    requireDifferentiable(model, this.name);
    const goal = attackGoal(criterion, this.name);
    if (eps === 0) return tf.clone(x0);
    const { accepted: fooled, ranked } = await cleanStart(model, criterion, x0);
    const passes = this.passes(goal, ranked, model.numClasses);
    const o = this.options;
    const rng = new Rng(o.seed);
    const total = passes.length * o.restarts * o.steps;
    let done = 0;
    const onStep = () => progress(++done, total);
    let out = tf.clone(x0);
    try {
      for (const loss of passes) {
        for (let r = 0; r < o.restarts; r++) {
          const rows = fooled.flatMap((f, i) => (f ? [] : [i]));
          if (rows.length === 0) {
            for (let k = 0; k < o.steps; k++) onStep();
            continue;
          }
          const x = gatherRows(x0, rows);
          let run: RunResult;
          try {
            run = await apgdRun(x, {
              model,
              criterion: criterion.subset(rows),
              loss: (positions) => loss(positions.map((j) => rows[j])),
              eps,
              options: o,
              rng,
              onStep,
            });
          } finally {
            x.dispose();
          }
          const next = scatterRows(out, rows, run.points);
          tf.dispose([out, run.points]);
          out = next;
          run.fooled.forEach((f, j) => (fooled[rows[j]] ||= f));
        }
      }
    } catch (error) {
      out.dispose();
      throw error;
    }
    return out;
  }
}

/** APGD-CE / APGD-DLR: untargeted (or towards a targeted criterion's targets). */
export class APGD extends AutoPgdAttack {
  readonly name: string;
  readonly loss: ApgdLoss;

  constructor(options: ApgdLossOptions = {}) {
    const { loss, ...rest } = options;
    super(rest);
    this.loss = checkChoice('APGD', 'loss', loss ?? 'ce', ['ce', 'dlr'] as const);
    this.name = `${this.prefix}apgd-${this.loss}`;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), loss: this.loss };
  }

  protected passes(goal: AttackGoal, ranked: number[][], numClasses: number): LossOfRows[] {
    if (this.loss === 'ce')
      return [(rows) => ({ kind: 'crossentropy', labels: pick(goal.labels, rows), targeted: goal.targeted })];
    const minimum = goal.targeted ? 4 : 3;
    if (numClasses < minimum)
      throw new Error(
        `${this.name}: the DLR loss needs a model with at least ${minimum} classes (got ${numClasses})`,
      );
    if (!goal.targeted) return [(rows) => ({ kind: 'dlr', labels: pick(goal.labels, rows) })];
    const labels = sourceLabels(goal, ranked);
    return [
      (rows) => ({ kind: 'dlr-targeted', labels: pick(labels, rows), targets: pick(goal.labels, rows) }),
    ];
  }
}

/** APGD-T: the targeted DLR loss towards each of the `targetClasses` most likely wrong classes in turn. */
export class APGDT extends AutoPgdAttack {
  readonly name: string;
  readonly targetClasses: number;

  constructor(options: ApgdTargetedOptions = {}) {
    const { targetClasses, ...rest } = options;
    super(rest);
    this.targetClasses = targetClasses ?? 9;
    checkInteger('APGDT', 'targetClasses', this.targetClasses, 1);
    this.name = `${this.prefix}apgd-t`;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), targetClasses: this.targetClasses };
  }

  protected passes(goal: AttackGoal, ranked: number[][], numClasses: number): LossOfRows[] {
    if (numClasses < 4)
      throw new Error(
        `${this.name}: the targeted DLR loss needs a model with at least 4 classes (got ${numClasses})`,
      );
    const labels = sourceLabels(goal, ranked);
    const count = goal.targeted ? 1 : targetClassCount(this.targetClasses, numClasses);
    return Array.from({ length: count }, (_, pass) => {
      const targets = passTargets(goal, ranked, pass);
      return (rows: readonly number[]): Loss => ({
        kind: 'dlr-targeted',
        labels: pick(labels, rows),
        targets: pick(targets, rows),
      });
    });
  }
}
