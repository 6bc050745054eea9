/**
 * Criteria decide, per input, whether a perturbed input counts as adversarial (foolbox 3's criteria).
 * They are small immutable objects; `and` combines them. Misuse (labels that are not class indices, more
 * or fewer labels than inputs, classes the model does not have) is an AdvxError naming it.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { AdvxError, describeValue } from '../errors.js';

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
  /**
   * Throws an AdvxError when the criterion cannot judge a batch of `batch` inputs of a model with
   * `numClasses` classes (one label per input, each a class of the model). Optional: without it,
   * `checkCriterionFits` checks the labels of `goal()`.
   */
  checkFits?(batch: number, numClasses: number): void;
}

function checkLabels(labels: ArrayLike<number>, what: string): number[] {
  if (
    labels === null ||
    typeof labels !== 'object' ||
    typeof (labels as { length?: unknown }).length !== 'number'
  )
    throw new AdvxError(
      'bad-input',
      `${what}: give an array of class indices (got ${describeValue(labels)})`,
      {
        option: what,
      },
    );
  const out = Array.from(labels);
  for (const l of out) {
    if (!Number.isInteger(l) || l < 0)
      throw new AdvxError(
        'bad-input',
        `${what} must be non-negative class indices (got ${describeValue(l)})`,
        {
          option: what,
        },
      );
  }
  return out;
}

/** One label per input, each a class of the model. */
function checkLabelsFit(labels: readonly number[], batch: number, numClasses: number, what: string): void {
  if (labels.length !== batch)
    throw new AdvxError('bad-input', `${what}: ${labels.length} labels for a batch of ${batch}`, {
      option: 'labels',
    });
  const bad = labels.find((l) => l >= numClasses);
  if (bad !== undefined)
    throw new AdvxError(
      'bad-input',
      `${what}: class ${bad} is out of range for a model with ${numClasses} classes`,
      { option: 'labels' },
    );
}

function checkBatch(labels: readonly number[], logits: Tensor2D, what: string): void {
  checkLabelsFit(labels, logits.shape[0], logits.shape[1], what);
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
  checkFits(batch: number, numClasses: number): void {
    checkLabelsFit(this.labels, batch, numClasses, 'misclassification');
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
  checkFits(batch: number, numClasses: number): void {
    checkLabelsFit(this.targets, batch, numClasses, 'targeted misclassification');
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
    if (!(typeof p === 'number' && p > 0 && p <= 1))
      throw new AdvxError('bad-option', `confidence must be in (0, 1] (got ${describeValue(p)})`, {
        option: 'p',
      });
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
  checkFits(batch: number, numClasses: number): void {
    checkLabelsFit(this.labels, batch, numClasses, 'confident misclassification');
  }
}

/** k < numClasses: with k >= numClasses every label is among the top k, and no input could be adversarial. */
export function checkTopK(k: number, numClasses: number): void {
  if (k >= numClasses)
    throw new AdvxError(
      'bad-option',
      `top-${k} misclassification needs k < the number of classes (the model has ${numClasses})`,
      { option: 'k' },
    );
}

/** The label is not among the k most probable classes. */
export class TopKMisclassification implements Criterion {
  readonly labels: readonly number[];
  constructor(
    readonly k: number,
    labels: ArrayLike<number>,
  ) {
    if (!Number.isInteger(k) || k < 1)
      throw new AdvxError('bad-option', `top-k needs an integer k >= 1 (got ${describeValue(k)})`, {
        option: 'k',
      });
    this.labels = checkLabels(labels, 'labels');
  }
  get description(): string {
    return `top-${this.k} misclassification`;
  }
  isAdversarial(_perturbed: Tensor4D, logits: Tensor2D): Tensor1D {
    checkTopK(this.k, logits.shape[1]);
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
  /** Also k < numClasses: with k >= numClasses the label is always among the top k. */
  checkFits(batch: number, numClasses: number): void {
    checkTopK(this.k, numClasses);
    checkLabelsFit(this.labels, batch, numClasses, `top-${this.k} misclassification`);
  }
}

/** Both criteria hold. The attack goal is the first one's that has one. */
export class And implements Criterion {
  constructor(
    readonly a: Criterion,
    readonly b: Criterion,
  ) {
    requireCriterion(a, 'and: first criterion');
    requireCriterion(b, 'and: second criterion');
  }
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
  checkFits(batch: number, numClasses: number): void {
    checkCriterionFits(this.a, batch, numClasses);
    checkCriterionFits(this.b, batch, numClasses);
  }
}

export const misclassification = (labels: ArrayLike<number>): Criterion => new Misclassification(labels);
export const targeted = (targets: ArrayLike<number>): Criterion => new TargetedMisclassification(targets);
export const confident = (p: number, labels: ArrayLike<number>): Criterion =>
  new ConfidentMisclassification(p, labels);
export const topK = (k: number, labels: ArrayLike<number>): Criterion => new TopKMisclassification(k, labels);
export const and = (a: Criterion, b: Criterion): Criterion => new And(a, b);

const isCriterion = (value: unknown): value is Criterion =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Criterion).isAdversarial === 'function' &&
  typeof (value as Criterion).goal === 'function';

function requireCriterion(value: unknown, what: string): asserts value is Criterion {
  if (!isCriterion(value))
    throw new AdvxError('bad-input', `${what}: give a Criterion (got ${describeValue(value)})`, {
      option: 'criterion',
    });
}

/** Labels alone mean Misclassification(labels). Anything else is an AdvxError naming what was given. */
export function asCriterion(criterionOrLabels: Criterion | ArrayLike<number>): Criterion {
  if (isCriterion(criterionOrLabels)) return criterionOrLabels;
  const given = criterionOrLabels as unknown;
  const arrayLike =
    typeof given === 'object' && given !== null && typeof (given as { length?: unknown }).length === 'number';
  if (!arrayLike)
    throw new AdvxError(
      'bad-input',
      `criterion: give a Criterion or an array of labels (got ${describeValue(given)})`,
      { option: 'criterion' },
    );
  return new Misclassification(criterionOrLabels as ArrayLike<number>);
}

/**
 * Throws an AdvxError unless `criterion` can judge `batch` inputs of a model with `numClasses` classes:
 * its own `checkFits`, else the labels of its goal (one per input, each a class of the model).
 */
export function checkCriterionFits(criterion: Criterion, batch: number, numClasses: number): void {
  requireCriterion(criterion, 'criterion');
  if (typeof criterion.checkFits === 'function') {
    criterion.checkFits(batch, numClasses);
    return;
  }
  const goal = criterion.goal();
  if (goal !== null)
    checkLabelsFit(checkLabels(goal.labels, 'labels'), batch, numClasses, criterion.description);
}

/** `asCriterion`, checked against a batch of `batch` inputs of a model with `numClasses` classes. */
export function criterionFor(
  criterionOrLabels: Criterion | ArrayLike<number>,
  batch: number,
  numClasses: number,
): Criterion {
  const criterion = asCriterion(criterionOrLabels);
  checkCriterionFits(criterion, batch, numClasses);
  return criterion;
}
