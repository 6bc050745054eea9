/**
 * The model as a score- or decision-based attack sees it: logits (or only the criterion's verdict) of the
 * images it sends, and nothing else. The oracle counts one query per image, charged to the input the image
 * belongs to (`AttackContext.queries`), and refuses to send an image that would take its input past
 * `maxQueries`: a budget the attacks plan for, and a guarantee the tests rely on.
 */
import type { Tensor2D, Tensor4D } from '../engine/tf.js';
import type { Criterion } from '../criteria/index.js';
import type { Bounds, Model } from '../models/model.js';
import { isDecisionOnly } from '../models/model-outputs.js';
import { criterionFlags } from './attack.js';

/** Checks a per-input query budget: an integer >= 1, or Infinity for none. */
export function checkMaxQueries(attackName: string, maxQueries: number): number {
  if (maxQueries !== Infinity && (!Number.isInteger(maxQueries) || maxQueries < 1))
    throw new Error(`${attackName}: maxQueries must be an integer >= 1 or Infinity (got ${maxQueries})`);
  return maxQueries;
}

export class QueryOracle {
  constructor(
    private readonly model: Model,
    private readonly criterion: Criterion,
    /** Queries spent so far, per input (the run's counter, added to in place). */
    readonly queries: number[],
    readonly maxQueries: number,
    private readonly attackName: string,
  ) {}

  get bounds(): Bounds {
    return this.model.bounds;
  }

  /** Score-based attacks read logits: refuse a model that only gives its decision. */
  requireScores(): void {
    if (isDecisionOnly(this.model))
      throw new Error(
        `${this.attackName} needs scores, but model ${this.model.name} only gives its decision (use boundary or hop-skip-jump)`,
      );
  }

  /** Queries input `i` may still spend. */
  remaining(i: number): number {
    return this.maxQueries - this.queries[i];
  }

  /** The inputs among `rows` that can still spend `cost` queries. */
  affordable(rows: readonly number[], cost: number): number[] {
    return rows.filter((i) => this.remaining(i) >= cost);
  }

  /**
   * Logits of `batch`, whose row j is an image for input `owners[j]`: one query for each row. The caller
   * disposes the result.
   */
  async logits(batch: Tensor4D, owners: readonly number[]): Promise<Tensor2D> {
    if (batch.shape[0] !== owners.length)
      throw new Error(`${this.attackName}: ${batch.shape[0]} images for ${owners.length} owners`);
    const cost = new Map<number, number>();
    for (const i of owners) cost.set(i, (cost.get(i) ?? 0) + 1);
    for (const [i, count] of cost) {
      if (count > this.remaining(i))
        throw new Error(
          `${this.attackName}: input ${i} would spend ${this.queries[i] + count} queries (maxQueries ${this.maxQueries})`,
        );
    }
    const logits = await this.model.logits(batch);
    for (const [i, count] of cost) this.queries[i] += count;
    return logits;
  }

  /** The criterion's verdict on rows of `batch` (owned by `owners`) given their logits. */
  verdict(batch: Tensor4D, logits: Tensor2D, owners: readonly number[]): boolean[] {
    return criterionFlags(this.criterion.subset(owners), batch, logits);
  }

  /** Is each row of `batch` adversarial for its owner? One query each (decision-based attacks' only view). */
  async isAdversarial(batch: Tensor4D, owners: readonly number[]): Promise<boolean[]> {
    const logits = await this.logits(batch, owners);
    try {
      return this.verdict(batch, logits, owners);
    } finally {
      logits.dispose();
    }
  }
}
