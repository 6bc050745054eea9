/**
 * The base of every attack (foolbox 3's `Attack.__call__`): one `run()` gives all attacks the same
 * epsilon handling, clipping and success semantics.
 *
 * - `raw[k]`: what the attack produced for `epsilons[k]`;
 * - `clipped[k]`: raw projected onto the eps ball around the input (in the attack's norm) and into bounds;
 * - `success[k][n]`: the criterion evaluated on `clipped[k]` by re-running the model.
 * Fixed-epsilon attacks run once per epsilon; minimization attacks run once and are clipped per epsilon.
 * `epsilons: null` (minimization attacks only, foolbox's `epsilons=None`) returns the smallest adversarial
 * found, unclipped (in bounds), with success evaluated on it. Black-box attacks also report the number
 * of model queries each input cost (`queries`). The caller owns (and disposes) the returned tensors.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { criterionFor, type Criterion } from '../criteria/index.js';
import { clipToEpsBall, type Norm } from '../distances/index.js';
import { AdvxError } from '../errors.js';
import type { Model } from '../models/model.js';
import { checkEpsilonRange, checkModel, epsilonsOf, validateEpsilons, validateInputs } from './run-checks.js';

export interface AttackProgress {
  /** Index of the epsilon being attacked (0 for minimization attacks). */
  epsilonIndex: number;
  epsilonCount: number;
  step: number;
  steps: number;
}

export interface RunOptions<E extends number | readonly number[] | null = number | readonly number[] | null> {
  epsilons: E;
  onProgress?: (progress: AttackProgress) => void;
}

export interface AttackResult {
  raw: Tensor4D;
  clipped: Tensor4D;
  success: boolean[];
  /** Model queries per input (attacks that count them: score- and decision-based ones). */
  queries?: number[];
}

export interface AttackResults {
  raw: Tensor4D[];
  clipped: Tensor4D[];
  success: boolean[][];
  /** Per epsilon, model queries per input (attacks that count them). */
  queries?: number[][];
}

/** What a concrete attack gets for one run. */
export interface AttackContext {
  model: Model;
  criterion: Criterion;
  /** Reports step `step` of `steps`. */
  progress: (step: number, steps: number) => void;
  /** Model queries per input of this run: an attack that counts queries adds to it (`countsQueries`). */
  queries: number[];
}

export { validateEpsilons, validateInputs } from './run-checks.js';

/** Criterion on given logits of `x`, as booleans. */
export function criterionFlags(criterion: Criterion, x: Tensor4D, logits: Tensor2D): boolean[] {
  const flags = tf.tidy(() => criterion.isAdversarial(x, logits));
  const out = Array.from(flags.dataSync(), (v) => v !== 0);
  flags.dispose();
  return out;
}

/** Criterion on the model's logits of `x`, as booleans. */
export async function evaluateCriterion(model: Model, criterion: Criterion, x: Tensor4D): Promise<boolean[]> {
  const logits = await model.logits(x);
  try {
    return criterionFlags(criterion, x, logits);
  } finally {
    logits.dispose();
  }
}

export abstract class Attack {
  /** Short name used by the CLI and in reports (e.g. 'fgsm', 'linf-pgd'). */
  abstract readonly name: string;
  /** The norm in which epsilons are measured. */
  abstract readonly norm: Norm;

  /** The attack's options, for reports and `--json`. */
  abstract describe(): Record<string, unknown>;

  /** True for attacks that count model queries per input (their results carry `queries`). */
  readonly countsQueries: boolean = false;

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
  run(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion | ArrayLike<number>,
    options: RunOptions<null>,
  ): Promise<AttackResult>;
  async run(
    model: Model,
    inputs: Tensor4D,
    criterionOrLabels: Criterion | ArrayLike<number>,
    options: RunOptions,
  ): Promise<AttackResult | AttackResults> {
    // Everything the caller gave is checked before any tensor is made (run-checks.ts): misuse is one
    // AdvxError naming it, and nothing leaks.
    const { epsilons, single } = epsilonsOf(options, this.name);
    checkModel(model, this.name);
    validateInputs(model, inputs);
    const criterion = criterionFor(criterionOrLabels, inputs.shape[0], model.numClasses);
    if (epsilons === null) return this.runUnbounded(model, inputs, criterion, options.onProgress);
    validateEpsilons(epsilons);
    checkEpsilonRange(epsilons, this.norm, model, this.name);
    const results = await this.runAll(model, inputs, criterion, epsilons, options.onProgress);
    if (!single) return results;
    return {
      raw: results.raw[0],
      clipped: results.clipped[0],
      success: results.success[0],
      ...(results.queries === undefined ? {} : { queries: results.queries[0] }),
    };
  }

  /** `epsilons: null`: only minimization attacks have an answer without a budget. */
  protected runUnbounded(
    _model: Model,
    _inputs: Tensor4D,
    _criterion: Criterion,
    _onProgress?: (progress: AttackProgress) => void,
  ): Promise<AttackResult> {
    throw new AdvxError(
      'bad-option',
      `${this.name} looks for an adversarial within a given eps: give epsilons (null is for minimization attacks)`,
      { option: 'epsilons' },
    );
  }

  /** A fresh per-input query log for one run (see AttackContext.queries). */
  protected queryLog(inputs: Tensor4D): number[] {
    return new Array<number>(inputs.shape[0]).fill(0);
  }

  protected abstract runAll(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion,
    epsilons: number[],
    onProgress?: (progress: AttackProgress) => void,
  ): Promise<AttackResults>;

  protected async finish(model: Model, inputs: Tensor4D, criterion: Criterion, raw: Tensor4D, eps: number) {
    const clipped = clipToEpsBall(inputs, raw, this.norm, eps, model.bounds);
    try {
      return { clipped, success: await evaluateCriterion(model, criterion, clipped) };
    } catch (error) {
      clipped.dispose();
      throw error;
    }
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
    if (this.countsQueries) out.queries = [];
    try {
      for (let k = 0; k < epsilons.length; k++) {
        const progress = (step: number, steps: number) =>
          onProgress?.({ epsilonIndex: k, epsilonCount: epsilons.length, step, steps });
        const queries = this.queryLog(inputs);
        const raw = await this.attack(inputs, epsilons[k], { model, criterion, progress, queries });
        out.raw.push(raw);
        const { clipped, success } = await this.finish(model, inputs, criterion, raw, epsilons[k]);
        out.clipped.push(clipped);
        out.success.push(success);
        out.queries?.push(queries);
      }
    } catch (error) {
      tf.dispose([...out.raw, ...out.clipped]);
      throw error;
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
    const { raw, queries } = await this.minimal(model, inputs, criterion, onProgress);
    const out: AttackResults = { raw: [], clipped: [], success: [] };
    if (this.countsQueries) out.queries = [];
    try {
      for (const eps of epsilons) {
        const { clipped, success } = await this.finish(model, inputs, criterion, raw, eps);
        out.raw.push(out.raw.length === 0 ? raw : tf.clone(raw));
        out.clipped.push(clipped);
        out.success.push(success);
        out.queries?.push([...queries]);
      }
    } catch (error) {
      tf.dispose([raw, ...out.raw.slice(1), ...out.clipped]);
      throw error;
    }
    return out;
  }

  private async minimal(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion,
    onProgress?: (progress: AttackProgress) => void,
  ): Promise<{ raw: Tensor4D; queries: number[] }> {
    const progress = (step: number, steps: number) =>
      onProgress?.({ epsilonIndex: 0, epsilonCount: 1, step, steps });
    const queries = this.queryLog(inputs);
    const raw = await this.minimize(inputs, { model, criterion, progress, queries });
    return { raw, queries };
  }

  /** The smallest adversarial found, kept in bounds but not clipped to any eps; success evaluated on it. */
  protected override async runUnbounded(
    model: Model,
    inputs: Tensor4D,
    criterion: Criterion,
    onProgress?: (progress: AttackProgress) => void,
  ): Promise<AttackResult> {
    const { raw, queries } = await this.minimal(model, inputs, criterion, onProgress);
    const clipped = tf.tidy(() => tf.clipByValue(raw, model.bounds[0], model.bounds[1]) as Tensor4D);
    try {
      const success = await evaluateCriterion(model, criterion, clipped);
      return { raw, clipped, success, ...(this.countsQueries ? { queries } : {}) };
    } catch (error) {
      tf.dispose([raw, clipped]);
      throw error;
    }
  }
}
