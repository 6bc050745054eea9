/**
 * The base of every attack (foolbox 3's `Attack.__call__`): one `run()` gives all attacks the same
 * epsilon handling, clipping and success semantics.
 *
 * - `raw[k]`: what the attack produced for `epsilons[k]`;
 * - `clipped[k]`: raw projected onto the eps ball around the input (in the attack's norm) and into bounds;
 * - `success[k][n]`: the criterion evaluated on `clipped[k]` by re-running the model.
 * Fixed-epsilon attacks run once per epsilon; minimization attacks run once and are clipped per epsilon.
 * The caller owns (and disposes) the returned tensors.
 */
import { tf, type Tensor4D } from '../engine/tf.js';
import { asCriterion, type Criterion } from '../criteria/index.js';
import { clipToEpsBall, type Norm } from '../distances/index.js';
import type { Model } from '../models/model.js';

export interface AttackProgress {
  /** Index of the epsilon being attacked (0 for minimization attacks). */
  epsilonIndex: number;
  epsilonCount: number;
  step: number;
  steps: number;
}

export interface RunOptions<E extends number | readonly number[] = number | readonly number[]> {
  epsilons: E;
  onProgress?: (progress: AttackProgress) => void;
}

export interface AttackResult {
  raw: Tensor4D;
  clipped: Tensor4D;
  success: boolean[];
}

export interface AttackResults {
  raw: Tensor4D[];
  clipped: Tensor4D[];
  success: boolean[][];
}

/** What a concrete attack gets for one run. */
export interface AttackContext {
  model: Model;
  criterion: Criterion;
  /** Reports step `step` of `steps`. */
  progress: (step: number, steps: number) => void;
}

const BOUNDS_TOLERANCE = 1e-5;

/** Checks that inputs fit the model: a clear message instead of a tfjs stack trace. */
export function validateInputs(model: Model, inputs: Tensor4D): void {
  if (inputs.rank !== 4) throw new Error(`inputs must be a batch [N,H,W,C] (got rank ${inputs.rank})`);
  const [, h, w, c] = inputs.shape;
  const [mh, mw, mc] = model.inputShape;
  if (h !== mh || w !== mw || c !== mc) {
    throw new Error(`inputs have shape [${h},${w},${c}] but model ${model.name} expects [${mh},${mw},${mc}]`);
  }
  const [lo, hi] = tf.tidy(() => [tf.min(inputs).dataSync()[0], tf.max(inputs).dataSync()[0]]);
  const [blo, bhi] = model.bounds;
  if (lo < blo - BOUNDS_TOLERANCE || hi > bhi + BOUNDS_TOLERANCE) {
    throw new Error(`input values span [${lo}, ${hi}], outside the model's bounds [${blo}, ${bhi}]`);
  }
}

export function validateEpsilons(epsilons: readonly number[]): void {
  if (epsilons.length === 0) throw new Error('epsilons: give at least one');
  for (const eps of epsilons) {
    if (!Number.isFinite(eps) || eps < 0)
      throw new Error(`epsilon must be a finite number >= 0 (got ${eps})`);
  }
}

/** Criterion on the model's logits of `x`, as booleans. */
export function evaluateCriterion(model: Model, criterion: Criterion, x: Tensor4D): boolean[] {
  const flags = tf.tidy(() => criterion.isAdversarial(x, model.logits(x)));
  const out = Array.from(flags.dataSync(), (v) => v !== 0);
  flags.dispose();
  return out;
}

export abstract class Attack {
  /** Short name used by the CLI and in reports (e.g. 'fgsm', 'linf-pgd'). */
  abstract readonly name: string;
  /** The norm in which epsilons are measured. */
  abstract readonly norm: Norm;

  /** The attack's options, for reports and `--json`. */
  abstract describe(): Record<string, unknown>;

  run(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion | ArrayLike<number>,
    options: RunOptions<number>,
  ): Promise<AttackResult>;
  run(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion | ArrayLike<number>,
    options: RunOptions<readonly number[]>,
  ): Promise<AttackResults>;
  async run(
    model: Model,
    inputs: Tensor4D,
    criterionOrLabels: Criterion | ArrayLike<number>,
    options: RunOptions,
  ): Promise<AttackResult | AttackResults> {
    const single = typeof options.epsilons === 'number';
    const epsilons = single ? [options.epsilons as number] : [...(options.epsilons as readonly number[])];
    validateEpsilons(epsilons);
    validateInputs(model, inputs);
    const criterion = asCriterion(criterionOrLabels);
    const results = await this.runAll(model, inputs, criterion, epsilons, options.onProgress);
    if (!single) return results;
    return { raw: results.raw[0], clipped: results.clipped[0], success: results.success[0] };
  }

  protected abstract runAll(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion,
    epsilons: number[],
    onProgress?: (progress: AttackProgress) => void,
  ): Promise<AttackResults>;

  protected finish(model: Model, inputs: Tensor4D, criterion: Criterion, raw: Tensor4D, eps: number) {
    const clipped = clipToEpsBall(inputs, raw, this.norm, eps, model.bounds);
    return { clipped, success: evaluateCriterion(model, criterion, clipped) };
  }
}

/** An attack that looks for an adversarial inside a given eps ball; it runs once per epsilon. */
export abstract class FixedEpsilonAttack extends Attack {
  protected abstract attack(inputs: Tensor4D, eps: number, context: AttackContext): Promise<Tensor4D>;

  protected async runAll(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion,
    epsilons: number[],
    onProgress?: (progress: AttackProgress) => void,
  ): Promise<AttackResults> {
    const out: AttackResults = { raw: [], clipped: [], success: [] };
    for (let k = 0; k < epsilons.length; k++) {
      const progress = (step: number, steps: number) =>
        onProgress?.({ epsilonIndex: k, epsilonCount: epsilons.length, step, steps });
      const raw = await this.attack(inputs, epsilons[k], { model, criterion, progress });
      const { clipped, success } = this.finish(model, inputs, criterion, raw, epsilons[k]);
      out.raw.push(raw);
      out.clipped.push(clipped);
      out.success.push(success);
    }
    return out;
  }
}

/** An attack that looks for the smallest adversarial perturbation; it runs once, then is clipped per epsilon. */
export abstract class MinimizationAttack extends Attack {
  protected abstract minimize(inputs: Tensor4D, context: AttackContext): Promise<Tensor4D>;

  protected async runAll(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion,
    epsilons: number[],
    onProgress?: (progress: AttackProgress) => void,
  ): Promise<AttackResults> {
    const progress = (step: number, steps: number) =>
      onProgress?.({ epsilonIndex: 0, epsilonCount: 1, step, steps });
    const raw = await this.minimize(inputs, { model, criterion, progress });
    const out: AttackResults = { raw: [], clipped: [], success: [] };
    for (const eps of epsilons) {
      const { clipped, success } = this.finish(model, inputs, criterion, raw, eps);
      out.raw.push(out.raw.length === 0 ? raw : tf.clone(raw));
      out.clipped.push(clipped);
      out.success.push(success);
    }
    return out;
  }
}
