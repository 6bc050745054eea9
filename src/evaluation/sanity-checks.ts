/**
 * Signs that a robustness evaluation may be unreliable (AutoAttack's checks, ART's obfuscation flags),
 * as one-line warnings:
 * - the model outputs probabilities instead of logits (rows in [0,1] summing to 1): the gradients of a
 *   softmax output vanish where the model is confident;
 * - the model is randomized (two passes on the same inputs differ): use an EOT protocol
 *   (autoattack-rand);
 * - the input gradient is zero or not finite on some inputs: gradient attacks are blind there;
 * - a gradient-free attack (black-box or noise) fooled images the gradient attacks before it could not:
 *   gradient masking;
 * - robust accuracy above clean accuracy, or rising with eps.
 */
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';

/** AutoAttack's tolerances: output range / row sums (check_range_output) and output change (check_randomized). */
const PROBABILITY_TOLERANCE = 1e-5;
const RANDOMNESS_TOLERANCE = 1e-4;

/** Number of rows of `outputs` that look like a probability distribution. */
export function probabilityRows(outputs: Tensor2D): number {
  const flags = tf.tidy(() => {
    const inRange = tf.logicalAnd(
      tf.lessEqual(tf.max(outputs, 1), 1 + PROBABILITY_TOLERANCE),
      tf.greaterEqual(tf.min(outputs, 1), -PROBABILITY_TOLERANCE),
    );
    const sumsToOne = tf.lessEqual(tf.abs(tf.sub(tf.sum(outputs, 1), 1)), PROBABILITY_TOLERANCE * 10);
    return tf.logicalAnd(inRange, sumsToOne);
  });
  const count = Array.from(flags.dataSync()).reduce((n: number, v) => n + Number(v), 0);
  flags.dispose();
  return count;
}

/** True when two passes of the model on the same inputs differ (in direction or in the predicted class). */
export function outputsDiffer(first: Tensor2D, second: Tensor2D): boolean {
  const [change, sameClass] = tf.tidy(() => {
    const unit = (t: Tensor2D) => tf.div(t, tf.add(tf.norm(t, 2, 1, true), 1e-10));
    const largest = tf.max(tf.norm(tf.sub(unit(first), unit(second)), 2, 1));
    const agree = tf.all(tf.equal(tf.argMax(first, 1), tf.argMax(second, 1)));
    return [largest.dataSync()[0], agree.dataSync()[0] === 1];
  });
  return !(change <= RANDOMNESS_TOLERANCE) || !sameClass;
}

export interface GradientFlags {
  /** Inputs whose gradient is zero everywhere. */
  zero: number;
  /** Inputs whose gradient has a NaN or infinite entry. */
  nonFinite: number;
}

/** Counts the inputs of a batch whose gradient is all zero or not finite. */
export function badGradients(gradient: Tensor4D): GradientFlags {
  const [magnitude, finite] = tf.tidy(() => {
    const rows = tf.reshape(gradient, [gradient.shape[0], -1]);
    const abs = tf.abs(rows);
    // NaN fails every comparison and Infinity is not < Infinity: `abs < Infinity` is "finite".
    const isFinite = tf.all(tf.less(abs, Infinity), 1);
    return [tf.max(tf.where(tf.isNaN(abs), tf.zerosLike(abs), abs), 1).dataSync(), isFinite.dataSync()];
  });
  let zero = 0;
  let nonFinite = 0;
  for (let i = 0; i < finite.length; i++) {
    if (finite[i] === 0) nonFinite++;
    else if (magnitude[i] === 0) zero++;
  }
  return { zero, nonFinite };
}

export function probabilityWarning(rows: number, total: number): string | null {
  if (total === 0 || rows < total) return null;
  return (
    'the model outputs look like probabilities (every row in [0,1], summing to 1): attacks need logits ' +
    '(wrap the pre-softmax layer), or gradients vanish and robustness is overestimated'
  );
}

export function randomizedWarning(differ: boolean, protocol: string): string | null {
  if (!differ || protocol === 'autoattack-rand') return null;
  return (
    'the model is randomized (two passes on the same inputs differ): results vary from run to run; ' +
    'evaluate with protocol autoattack-rand (EOT) and more restarts'
  );
}

export function gradientWarning(flags: GradientFlags, checked: number): string | null {
  const parts: string[] = [];
  if (flags.zero > 0) parts.push(`zero on ${flags.zero}`);
  if (flags.nonFinite > 0) parts.push(`not finite (NaN or infinite) on ${flags.nonFinite}`);
  if (parts.length === 0) return null;
  return (
    `the input gradient is ${parts.join(' and ')} of ${checked} inputs: gradient attacks cannot move ` +
    'there, so robustness may be overestimated (gradient masking)'
  );
}

export interface AttackOutcome {
  name: string;
  /** Whether the attack asked the model for gradients (null: it attacked no image). */
  usedGradients: boolean | null;
  /** Images this attack fooled first. */
  fooled: number;
}

/**
 * For each gradient-free attack that fooled images after at least one gradient attack ran (and left them
 * robust), a warning saying how many.
 */
export function gradientMaskingWarnings(outcomes: readonly AttackOutcome[]): string[] {
  const warnings: string[] = [];
  const gradientAttacks: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.usedGradients === true) gradientAttacks.push(outcome.name);
    else if (outcome.usedGradients === false && outcome.fooled > 0 && gradientAttacks.length > 0) {
      const image = outcome.fooled === 1 ? 'image' : 'images';
      warnings.push(
        `gradient-free attack ${outcome.name} fooled ${outcome.fooled} ${image} that the gradient attacks ` +
          `before it (${gradientAttacks.join(', ')}) did not: a sign of gradient masking; try more ` +
          'iterations, restarts or an adaptive attack',
      );
    }
  }
  return warnings;
}

export function accuracyOrderWarning(clean: number, robust: number): string | null {
  if (robust <= clean) return null;
  return `robust accuracy ${robust} exceeds clean accuracy ${clean}: the evaluation is broken`;
}

export interface EpsilonPoint {
  eps: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  /** Per image: robust at this eps. */
  robust: readonly boolean[];
}

/**
 * Robust accuracy must not rise with eps (a larger ball contains the smaller one): warns for each rise,
 * with the images robust at the larger eps but not at the smaller; and when clean accuracy differs
 * between runs (a randomized model).
 */
export function epsilonWarnings(points: readonly EpsilonPoint[]): string[] {
  const sorted = [...points].sort((a, b) => a.eps - b.eps);
  const warnings: string[] = [];
  for (let k = 1; k < sorted.length; k++) {
    const [a, b] = [sorted[k - 1], sorted[k]];
    const regained = b.robust.filter((r, i) => r && !a.robust[i]).length;
    const images = `${regained} image${regained === 1 ? '' : 's'}`;
    if (b.robustAccuracy > a.robustAccuracy) {
      warnings.push(
        `robust accuracy rises with eps: ${a.robustAccuracy} at eps ${a.eps}, ${b.robustAccuracy} at eps ` +
          `${b.eps} (${images} robust at ${b.eps} but not at ${a.eps}): the attacks miss adversarials`,
      );
    } else if (regained > 0) {
      warnings.push(
        `${images} robust at eps ${b.eps} but not at the smaller eps ${a.eps}: the attacks at ${b.eps} ` +
          `miss adversarials that exist`,
      );
    }
  }
  const cleans = new Set(points.map((p) => p.cleanAccuracy));
  if (cleans.size > 1)
    warnings.push(
      `clean accuracy differs between the runs (${[...cleans].join(', ')}): the model is randomized`,
    );
  return warnings;
}
