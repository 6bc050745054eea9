/**
 * Criteria decide, per input, whether a perturbed input counts as adversarial (foolbox 3's criteria).
 * They are small immutable objects; `and` combines them.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';

/** What a gradient attack should push towards: away from `labels`, or towards them when targeted. */
export interface AttackGoal {
  labels: readonly number[];
  targeted: boolean;
}

export interface Criterion {
  readonly description: string;
  /** Boolean [N]: is each perturbed input adversarial, given the model's logits for it? */
  isAdversarial(perturbed: Tensor4D, logits: Tensor2D): Tensor1D;
  /** The labels a loss-based attack should use, or null if the criterion has none. */
  goal(): AttackGoal | null;
  /** The same criterion restricted to the rows `indices` (for attacks that work on subsets). */
  subset(indices: readonly number[]): Criterion;
}

function checkLabels(labels: ArrayLike<number>, what: string): number[] {
  const out = Array.from(labels);
  for (const l of out) {
    if (!Number.isInteger(l) || l < 0)
      throw new Error(`${what} must be non-negative class indices (got ${l})`);
  }
  return out;
}

function checkBatch(labels: readonly number[], logits: Tensor2D, what: string): void {
  if (logits.shape[0] !== labels.length) {
    throw new Error(`${what}: ${labels.length} labels for a batch of ${logits.shape[0]}`);
  }
  const k = logits.shape[1];
  const bad = labels.find((l) => l >= k);
  if (bad !== undefined)
    throw new Error(`${what}: class ${bad} is out of range for a model with ${k} classes`);
}

const pick = (labels: readonly number[], indices: readonly number[]) => indices.map((i) => labels[i]);

/** The top-1 prediction differs from the label. */
export class Misclassification implements Criterion {
  readonly labels: readonly number[];
  constructor(labels: ArrayLike<number>) {
    this.labels = checkLabels(labels, 'labels');
  }
  get description(): string {
    return 'misclassification';
  }
  isAdversarial(_perturbed: Tensor4D, logits: Tensor2D): Tensor1D {
    checkBatch(this.labels, logits, 'misclassification');
    return tf.tidy(
      () => tf.notEqual(tf.argMax(logits, 1), tf.tensor1d(this.labels as number[], 'int32')) as Tensor1D,
    );
  }
  goal(): AttackGoal {
    return { labels: this.labels, targeted: false };
  }
  subset(indices: readonly number[]): Criterion {
    return new Misclassification(pick(this.labels, indices));
  }
}

/** The top-1 prediction equals the target class. */
export class TargetedMisclassification implements Criterion {
  readonly targets: readonly number[];
  constructor(targets: ArrayLike<number>) {
    this.targets = checkLabels(targets, 'target classes');
  }
  get description(): string {
    return 'targeted misclassification';
  }
  isAdversarial(_perturbed: Tensor4D, logits: Tensor2D): Tensor1D {
    checkBatch(this.targets, logits, 'targeted misclassification');
    return tf.tidy(
      () => tf.equal(tf.argMax(logits, 1), tf.tensor1d(this.targets as number[], 'int32')) as Tensor1D,
    );
  }
  goal(): AttackGoal {
    return { labels: this.targets, targeted: true };
  }
  subset(indices: readonly number[]): Criterion {
    return new TargetedMisclassification(pick(this.targets, indices));
  }
}

/**
 * Some class other than the label gets probability >= p (foolbox's ConfidentMisclassification, the
 * book's `ConfidentMisclassification(.9)`).
 */
export class ConfidentMisclassification implements Criterion {
  readonly labels: readonly number[];
  constructor(
    readonly p: number,
    labels: ArrayLike<number>,
  ) {
    if (!(p > 0 && p <= 1)) throw new Error(`confidence must be in (0, 1] (got ${p})`);
    this.labels = checkLabels(labels, 'labels');
  }
  get description(): string {
    return `confident misclassification (p >= ${this.p})`;
  }
  isAdversarial(_perturbed: Tensor4D, logits: Tensor2D): Tensor1D {
    checkBatch(this.labels, logits, 'confident misclassification');
    return tf.tidy(() => {
      const probs = tf.softmax(logits);
      const others = tf.mul(
        probs,
        tf.sub(1, tf.oneHot(tf.tensor1d(this.labels as number[], 'int32'), logits.shape[1])),
      );
      return tf.greaterEqual(tf.max(others, 1), this.p) as Tensor1D;
    });
  }
  goal(): AttackGoal {
    return { labels: this.labels, targeted: false };
  }
  subset(indices: readonly number[]): Criterion {
    return new ConfidentMisclassification(this.p, pick(this.labels, indices));
  }
}

/** The label is not among the k most probable classes. */
export class TopKMisclassification implements Criterion {
  readonly labels: readonly number[];
  constructor(
    readonly k: number,
    labels: ArrayLike<number>,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`top-k needs an integer k >= 1 (got ${k})`);
    this.labels = checkLabels(labels, 'labels');
  }
  get description(): string {
    return `top-${this.k} misclassification`;
  }
  isAdversarial(_perturbed: Tensor4D, logits: Tensor2D): Tensor1D {
    checkBatch(this.labels, logits, `top-${this.k} misclassification`);
    return tf.tidy(() => {
      const labelLogit = tf.sum(
        tf.mul(logits, tf.oneHot(tf.tensor1d(this.labels as number[], 'int32'), logits.shape[1])),
        1,
        true,
      );
      const above = tf.sum(tf.cast(tf.greater(logits, labelLogit), 'int32'), 1);
      return tf.greaterEqual(above, this.k) as Tensor1D;
    });
  }
  goal(): AttackGoal {
    return { labels: this.labels, targeted: false };
  }
  subset(indices: readonly number[]): Criterion {
    return new TopKMisclassification(this.k, pick(this.labels, indices));
  }
}

/** Both criteria hold. The attack goal is the first one's that has one. */
export class And implements Criterion {
  constructor(
    readonly a: Criterion,
    readonly b: Criterion,
  ) {}
  get description(): string {
    return `${this.a.description} and ${this.b.description}`;
  }
  isAdversarial(perturbed: Tensor4D, logits: Tensor2D): Tensor1D {
    return tf.tidy(
      () =>
        tf.logicalAnd(
          this.a.isAdversarial(perturbed, logits),
          this.b.isAdversarial(perturbed, logits),
        ) as Tensor1D,
    );
  }
  goal(): AttackGoal | null {
    return this.a.goal() ?? this.b.goal();
  }
  subset(indices: readonly number[]): Criterion {
    return new And(this.a.subset(indices), this.b.subset(indices));
  }
}

export const misclassification = (labels: ArrayLike<number>): Criterion => new Misclassification(labels);
export const targeted = (targets: ArrayLike<number>): Criterion => new TargetedMisclassification(targets);
export const confident = (p: number, labels: ArrayLike<number>): Criterion =>
  new ConfidentMisclassification(p, labels);
export const topK = (k: number, labels: ArrayLike<number>): Criterion => new TopKMisclassification(k, labels);
export const and = (a: Criterion, b: Criterion): Criterion => new And(a, b);

/** Labels alone mean Misclassification(labels). */
export function asCriterion(criterionOrLabels: Criterion | ArrayLike<number>): Criterion {
  if (typeof (criterionOrLabels as Criterion).isAdversarial === 'function')
    return criterionOrLabels as Criterion;
  return new Misclassification(criterionOrLabels as ArrayLike<number>);
}
