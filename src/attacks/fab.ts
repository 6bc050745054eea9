/**
 * FAB, the Fast Adaptive Boundary attack (Croce & Hein 2020, "Minimally distorted adversarial examples
 * with a fast adaptive boundary attack"), in Linf and L2, as fra31/auto-attack's fab_base.py / fab_pt.py
 * run it inside AutoAttack: at a fixed eps, an input counts as attacked when FAB finds an adversarial
 * within eps.
 *
 * Each step linearises the model at the current point x: the logit difference `f = z_k - z_label` to the
 * class k whose linearised boundary is closest (untargeted FAB: every other class, one gradient each;
 * FAB-T: the target class only), and its gradient g (the seam's 'logits' loss). It projects both x and the
 * clean input x0 onto the hyperplane `<g, v> = <g, x> - f` inside the box of the bounds (fab-projections.ts),
 * giving d1 and d2, and moves to the convex combination
 * `x <- clip((x + eta d1)(1 - alpha) + (x0 + eta d2) alpha)`, `alpha = min(|d1| / (|d1| + |d2|), alpha_max)`
 * (norms in the attack's norm). When the criterion accepts the new point, it is kept if it is the smallest
 * adversarial so far, and x steps back towards x0: `x <- x0 + beta (x - x0)`. Defaults: 100 steps,
 * alpha_max 0.1, eta 1.05, beta 0.9; restarts after the first start from a random point at half eps.
 * FAB-T runs once towards each of the `targetClasses` most likely wrong classes (by clean logit) in turn, on
 * the inputs not yet attacked within eps (AutoAttack's standard version: 9 classes, 1 restart).
 *
 * Both need labels (an untargeted criterion; FAB-T's target classes only steer its linearisation, as in
 * AutoAttack). An input leaves the batch once it has an adversarial within eps (AutoAttack keeps minimising it, which
 * cannot change its verdict at this eps). The result is the smallest adversarial found (clipped to eps by
 * `run()` when larger), or the clean input when none was found.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { yieldToEventLoop } from '../engine/event-loop.js';
import type { AttackGoal, Criterion } from '../criteria/index.js';
import type { Norm } from '../distances/index.js';
import type { Model } from '../models/model.js';
import { criterionFlags, FixedEpsilonAttack, type AttackContext } from './attack.js';
import { projectOntoHyperplane, type ProjectionNorm } from './fab-projections.js';
import { attackGoal, requireDifferentiable } from './loss-gradient.js';
import {
  checkInRange,
  checkInteger,
  checkPositive,
  checkRestartedAttack,
  definedOptions,
} from './option-checks.js';
import { cleanStart, passTargets, sourceLabels, targetClassCount } from './ranked-targets.js';

export interface FabOptions {
  /** The norm minimised (AutoAttack: 'Linf', 'L2'). */
  norm?: ProjectionNorm;
  /** Steps per run (n_iter). */
  steps?: number;
  /** Runs per target; runs after the first start at a random point (n_restarts). */
  restarts?: number;
  /** Largest weight of the step from the clean input (alpha_max). */
  alphaMax?: number;
  /** Overshoot of the projections (eta). */
  eta?: number;
  /** Backward step towards the clean input after an adversarial is found (beta). */
  beta?: number;
  seed?: number;
}

export interface FabTargetedOptions extends FabOptions {
  /** Target classes tried, the most likely wrong ones first (n_target_classes). */
  targetClasses?: number;
}

type Resolved = Required<FabOptions>;

const DEFAULTS: Resolved = {
  norm: 'linf',
  steps: 100,
  restarts: 1,
  alphaMax: 0.1,
  eta: 1.05,
  beta: 0.9,
  seed: 0,
};
const TINY = 1e-12;

/** One input under attack in a run. */
interface FabRow {
  /** Index of the input in the batch the attack was given. */
  input: number;
  clean: Float32Array;
  x: Float32Array;
  label: number;
  /** The target class (FAB-T) or -1 (untargeted). */
  target: number;
  /** Smallest adversarial found in this run, and its norm (Infinity: none). */
  best: Float32Array | null;
  bestNorm: number;
}

/** The logit difference to the chosen class and its input gradient, per row. */
interface Linearization {
  df: number[];
  dg: Float32Array[];
}

function norm(values: ArrayLike<number>, p: ProjectionNorm): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    s = p === 'linf' ? Math.max(s, v) : s + v * v;
  }
  return p === 'linf' ? s : Math.sqrt(s);
}

/** The dual norm (L1 for Linf, L2 for L2): the distance to a hyperplane is |f| / dual(g). */
function dualNorm(values: ArrayLike<number>, p: ProjectionNorm): number {
  if (p === 'l2') return norm(values, 'l2');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]);
  return s;
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>, p: ProjectionNorm): number {
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return norm(d, p);
}

function batchOf(rows: readonly FabRow[], shape: readonly number[]): Tensor4D {
  const size = rows[0].x.length;
  const data = new Float32Array(rows.length * size);
  rows.forEach((row, j) => data.set(row.x, j * size));
  return tf.tensor4d(data, [rows.length, shape[1], shape[2], shape[3]]);
}

/** Row j of a flat batch of `size` values per row. */
const rowOf = (data: Float32Array, j: number, size: number) => data.slice(j * size, (j + 1) * size);

/** `z_c - z_label` and its gradient for the class `classOf(row)` of each row (the 'logits' loss). */
async function logitDifference(
  model: Model,
  batch: Tensor4D,
  rows: readonly FabRow[],
  classOf: (row: FabRow) => number,
): Promise<Linearization> {
  const k = model.numClasses;
  const weights = new Float32Array(rows.length * k);
  rows.forEach((row, j) => {
    weights[j * k + classOf(row)] += 1;
    weights[j * k + row.label] -= 1;
  });
  const { gradient, logits, loss } = await model.lossGradient(batch, { kind: 'logits', weights });
  try {
    const data = gradient.dataSync() as Float32Array;
    const size = data.length / rows.length;
    return { df: Array.from(loss.dataSync()), dg: rows.map((_, j) => rowOf(data, j, size)) };
  } finally {
    tf.dispose([gradient, logits, loss]);
  }
}

/** Untargeted: of all other classes, the one whose linearised boundary is closest (first on ties). */
async function closestBoundary(
  model: Model,
  batch: Tensor4D,
  rows: readonly FabRow[],
  p: ProjectionNorm,
): Promise<Linearization> {
  const best: Linearization = { df: [], dg: [] };
  const bestDistance = rows.map(() => Infinity);
  for (let other = 0; other < model.numClasses - 1; other++) {
    const { df, dg } = await logitDifference(model, batch, rows, (row) =>
      other < row.label ? other : other + 1,
    );
    rows.forEach((_, j) => {
      const d = Math.abs(df[j]) / (TINY + dualNorm(dg[j], p));
      if (best.dg[j] === undefined || d < bestDistance[j]) {
        bestDistance[j] = d;
        best.df[j] = df[j];
        best.dg[j] = dg[j];
      }
    });
  }
  return best;
}

/** The FAB step of one row from its linearisation (df, dg): projections of x and x0, convex combination. */
function fabStep(
  row: FabRow,
  df: number,
  dg: Float32Array,
  o: Resolved,
  bounds: readonly [number, number],
): void {
  let wx = 0;
  for (let i = 0; i < dg.length; i++) wx += dg[i] * row.x[i];
  const b = -df + wx;
  const d1 = projectOntoHyperplane(o.norm, row.x, dg, b, bounds);
  const d2 = projectOntoHyperplane(o.norm, row.clean, dg, b, bounds);
  const a1 = Math.max(norm(d1, o.norm), 1e-8);
  const a2 = Math.max(norm(d2, o.norm), 1e-8);
  const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), o.alphaMax);
  const [lo, hi] = bounds;
  for (let i = 0; i < row.x.length; i++) {
    const v = (row.x[i] + o.eta * d1[i]) * (1 - alpha) + (row.clean[i] + o.eta * d2[i]) * alpha;
    row.x[i] = Math.min(Math.max(v, lo), hi);
  }
}

/** A random start at half eps around the clean input (restarts after the first). */
function randomStart(
  row: FabRow,
  eps: number,
  o: Resolved,
  rng: Rng,
  bounds: readonly [number, number],
): void {
  const n = row.clean.length;
  const noise = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (o.norm === 'linf') noise[i] = 2 * rng.next() - 1;
    else {
      // Box-Muller
      const u = Math.max(rng.next(), 1e-12);
      noise[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    }
  }
  const scale = (eps * 0.5) / norm(noise, o.norm);
  for (let i = 0; i < n; i++)
    row.x[i] = Math.min(Math.max(row.clean[i] + scale * noise[i], bounds[0]), bounds[1]);
}

interface FabRunSetup {
  model: Model;
  criterion: Criterion;
  eps: number;
  options: Resolved;
  targeted: boolean;
  shape: readonly number[];
  onStep: () => void;
}

/** One FAB run (attack_single_run) on `rows`; they end with their smallest adversarial, if any. */
async function fabRun(rows: FabRow[], setup: FabRunSetup): Promise<void> {
  const { model, criterion, eps, options: o, targeted, shape, onStep } = setup;
  let active = rows;
  for (let step = 0; step < o.steps; step++) {
    onStep();
    if (active.length === 0) continue;
    const batch = batchOf(active, shape);
    let linear: Linearization;
    try {
      linear = targeted
        ? await logitDifference(model, batch, active, (row) => row.target)
        : await closestBoundary(model, batch, active, o.norm);
    } finally {
      batch.dispose();
    }
    active.forEach((row, j) => fabStep(row, linear.df[j], linear.dg[j], o, model.bounds));
    const moved = batchOf(active, shape);
    let flags: boolean[];
    try {
      const logits = await model.logits(moved);
      try {
        flags = criterionFlags(criterion.subset(active.map((row) => row.input)), moved, logits);
      } finally {
        logits.dispose();
      }
    } finally {
      moved.dispose();
    }
    active.forEach((row, j) => {
      if (!flags[j]) return;
      const t = distance(row.x, row.clean, o.norm);
      if (t < row.bestNorm) {
        row.best = row.x.slice();
        row.bestNorm = t;
      }
      for (let i = 0; i < row.x.length; i++) row.x[i] = row.clean[i] + (row.x[i] - row.clean[i]) * o.beta;
    });
    // Within eps the verdict is settled: such inputs leave the batch.
    active = active.filter((row) => !(row.bestNorm <= eps));
    if (step % 8 === 7) await yieldToEventLoop();
  }
}

abstract class FabAttack extends FixedEpsilonAttack {
  readonly norm: Norm;
  protected readonly options: Resolved;

  constructor(options: FabOptions) {
    super();
    this.options = { ...DEFAULTS, ...definedOptions(options) };
    const o = this.options;
    const name = this.constructor.name;
    this.norm = checkRestartedAttack(name, o);
    checkInRange(name, 'alphaMax', o.alphaMax, 0, 1, true);
    checkPositive(name, 'eta', o.eta);
    checkInRange(name, 'beta', o.beta, 0, 1, true);
  }

  describe(): Record<string, unknown> {
    return { ...this.options };
  }

  protected get prefix(): string {
    return this.norm === 'l2' ? 'l2-' : '';
  }

  /** Whether runs linearise towards one target class per input. */
  protected abstract readonly targeted: boolean;

  /** Per pass, the target of each input (-1 for untargeted FAB's single pass). */
  protected abstract passes(goal: AttackGoal, ranked: number[][], numClasses: number): number[][];

  protected async attack(
    x0: Tensor4D,
    eps: number,
    { model, criterion, progress }: AttackContext,
  ): Promise<Tensor4D> {
    requireDifferentiable(model, this.name);
    const goal = attackGoal(criterion, this.name);
    if (eps === 0) return tf.clone(x0);
    const { accepted: done, ranked } = await cleanStart(model, criterion, x0);
    const passes = this.passes(goal, ranked, model.numClasses);
    const labels = sourceLabels(goal, ranked);
    const o = this.options;
    const n = x0.shape[0];
    const size = x0.size / n;
    const clean = x0.dataSync() as Float32Array;
    const found: (Float32Array | null)[] = new Array<Float32Array | null>(n).fill(null);
    const foundNorm = new Array<number>(n).fill(Infinity);
    const rng = new Rng(o.seed);
    const total = passes.length * o.restarts * o.steps;
    let stepsDone = 0;
    const onStep = () => progress(++stepsDone, total);
    for (const targets of passes) {
      for (let r = 0; r < o.restarts; r++) {
        const rows: FabRow[] = done.flatMap((d, i) => {
          if (d) return [];
          const input = clean.slice(i * size, (i + 1) * size);
          return [
            {
              input: i,
              clean: input,
              x: input.slice(),
              label: labels[i],
              target: targets[i],
              best: null,
              bestNorm: Infinity,
            },
          ];
        });
        if (r > 0) rows.forEach((row) => randomStart(row, eps, o, rng, model.bounds));
        await fabRun(rows, {
          model,
          criterion,
          eps,
          options: o,
          targeted: this.targeted,
          shape: x0.shape,
          onStep,
        });
        for (const row of rows) {
          if (row.best === null || !(row.bestNorm < foundNorm[row.input])) continue;
          found[row.input] = row.best;
          foundNorm[row.input] = row.bestNorm;
          if (row.bestNorm <= eps) done[row.input] = true;
        }
      }
    }
    const out = clean.slice();
    found.forEach((point, i) => {
      if (point !== null) out.set(point, i * size);
    });
    return tf.tensor4d(out, x0.shape);
  }
}

/** Untargeted FAB: each step linearises towards the closest boundary among all classes (K-1 gradients). */
export class FAB extends FabAttack {
  readonly name: string;
  protected readonly targeted = false;

  constructor(options: FabOptions = {}) {
    super(options);
    this.name = `${this.prefix}fab`;
  }

  protected passes(goal: AttackGoal, _ranked: number[][], numClasses: number): number[][] {
    if (goal.targeted) throw new Error(`${this.name} is untargeted: give labels, not targets`);
    if (numClasses < 2) throw new Error(`${this.name} needs a model with at least 2 classes`);
    return [goal.labels.map(() => -1)];
  }
}

/** FAB-T: one gradient per step, towards each of the `targetClasses` most likely wrong classes in turn. */
export class FABT extends FabAttack {
  readonly name: string;
  readonly targetClasses: number;
  protected readonly targeted = true;

  constructor(options: FabTargetedOptions = {}) {
    const { targetClasses, ...rest } = options;
    super(rest);
    this.targetClasses = targetClasses ?? 9;
    checkInteger('FABT', 'targetClasses', this.targetClasses, 1);
    this.name = `${this.prefix}fab-t`;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), targetClasses: this.targetClasses };
  }

  protected passes(goal: AttackGoal, ranked: number[][], numClasses: number): number[][] {
    if (goal.targeted)
      throw new Error(
        `${this.name} chooses its own target classes and succeeds on any misclassification: give labels, not targets`,
      );
    const count = targetClassCount(this.targetClasses, numClasses);
    if (count === 0) throw new Error(`${this.name} needs a model with at least 2 classes`);
    return Array.from({ length: count }, (_, pass) => passTargets(goal, ranked, pass));
  }
}
