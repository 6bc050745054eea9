/**
 * What `attack.run()` checks before any work, so that misuse is one AdvxError naming the problem (never a
 * TypeError, a tfjs broadcast message, or tensors left behind): the model, the inputs (a live float32
 * batch [N,H,W,C] with N >= 1, of the model's shape, finite, in its bounds), the options and the
 * epsilons (finite, >= 0, at most the largest distance in the attack's norm, at most LIMITS.listLength).
 * The criterion is checked by criteria' `criterionFor`.
 */
import { largestDistance, type Norm } from '../distances/norms.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { AdvxError, describeValue } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Bounds, Model } from '../models/model.js';

const BOUNDS_TOLERANCE = 1e-5;

/** Throws unless `model` is an advx Model (logits, input shape, bounds, classes). */
export function checkModel(model: unknown, who: string): asserts model is Model {
  const m = model as Partial<Model> | null | undefined;
  const usable =
    typeof m === 'object' &&
    m !== null &&
    typeof m.logits === 'function' &&
    Array.isArray(m.inputShape) &&
    m.inputShape.length === 3 &&
    Array.isArray(m.bounds) &&
    Number.isInteger(m.numClasses);
  if (!usable)
    throw new AdvxError(
      'bad-model',
      `${who}: give an advx Model (logits, inputShape, bounds, numClasses; got ${describeValue(model)})`,
      { option: 'model' },
    );
}

const isTensor = (value: unknown): value is tf.Tensor =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as tf.Tensor).shape) &&
  typeof (value as tf.Tensor).dataSync === 'function';

/** Checks that inputs fit the model: a clear message instead of a tfjs stack trace. */
export function validateInputs(model: Model, inputs: Tensor4D): void {
  if (!isTensor(inputs))
    throw new AdvxError('bad-input', `inputs: give a tensor [N,H,W,C] (got ${describeValue(inputs)})`, {
      option: 'inputs',
    });
  if (inputs.isDisposed)
    throw new AdvxError('bad-input', 'inputs: the tensor has been disposed', { option: 'inputs' });
  if (inputs.rank !== 4)
    throw new AdvxError('bad-input', `inputs must be a batch [N,H,W,C] (got rank ${inputs.rank})`, {
      option: 'inputs',
    });
  const [n, h, w, c] = inputs.shape;
  const [mh, mw, mc] = model.inputShape;
  if (h !== mh || w !== mw || c !== mc) {
    throw new AdvxError(
      'bad-input',
      `inputs have shape [${h},${w},${c}] but model ${model.name} expects [${mh},${mw},${mc}]`,
      { option: 'inputs' },
    );
  }
  if (n === 0)
    throw new AdvxError('bad-input', `inputs: the batch is empty (shape [${inputs.shape}])`, {
      option: 'inputs',
    });
  if (inputs.dtype !== 'float32')
    throw new AdvxError('bad-input', `inputs: dtype ${inputs.dtype}; pixels must be float32`, {
      option: 'inputs',
    });
  const nonFinite = tf.tidy(() =>
    tf.sum(tf.cast(tf.logicalNot(tf.isFinite(inputs)), 'int32'), [1, 2, 3]).dataSync(),
  );
  const first = nonFinite.findIndex((count) => count > 0);
  if (first >= 0) {
    throw new AdvxError(
      'bad-input',
      `inputs: input ${first} holds ${nonFinite[first]} values that are NaN or infinite (pixels must be finite, in the model's bounds)`,
      { option: 'inputs' },
    );
  }
  const [lo, hi] = tf.tidy(() => [tf.min(inputs).dataSync()[0], tf.max(inputs).dataSync()[0]]);
  const [blo, bhi] = model.bounds;
  if (lo < blo - BOUNDS_TOLERANCE || hi > bhi + BOUNDS_TOLERANCE) {
    throw new AdvxError(
      'bad-input',
      `input values span [${lo}, ${hi}], outside the model's bounds [${blo}, ${bhi}]`,
      { option: 'inputs' },
    );
  }
}

/** Each epsilon finite and >= 0; at least one, at most LIMITS.listLength. */
export function validateEpsilons(epsilons: readonly number[]): void {
  if (epsilons.length === 0)
    throw new AdvxError('bad-option', 'epsilons: give at least one', { option: 'epsilons' });
  if (epsilons.length > LIMITS.listLength)
    throw new AdvxError(
      'too-large',
      `epsilons: ${epsilons.length} values; give at most ${LIMITS.listLength}`,
      { option: 'epsilons' },
    );
  for (const eps of epsilons) {
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0)
      throw new AdvxError('bad-option', `epsilon must be a finite number >= 0 (got ${describeValue(eps)})`, {
        option: 'epsilons',
      });
  }
}

/**
 * The largest epsilon of a ball in `norm` around inputs of `size` values within `bounds`: no ball needs a
 * larger radius (Linf: the bounds' width; L2: width * sqrt(size); L1: width * size; L0: size).
 */
export function largestEpsilon(norm: Norm, bounds: Bounds, size: number): number {
  return largestDistance(norm, bounds[1] - bounds[0], size);
}

/** Why `eps` is not a radius in `norm` for inputs of `size` values within `bounds`, or null when it is. */
export function epsilonProblem(eps: number, norm: Norm, bounds: Bounds, size: number): string | null {
  const largest = largestEpsilon(norm, bounds, size);
  if (eps >= 0 && eps <= largest * (1 + 1e-12)) return null;
  return `epsilon ${eps} is out of range [0, ${Number(largest.toPrecision(6))}] for ${norm} and bounds [${bounds[0]}, ${bounds[1]}]`;
}

/** Each epsilon a radius the attack's norm can have around these inputs (epsilonProblem). */
export function checkEpsilonRange(
  epsilons: readonly number[],
  norm: Norm,
  model: Pick<Model, 'bounds' | 'inputShape'>,
  who: string,
): void {
  const size = model.inputShape[0] * model.inputShape[1] * model.inputShape[2];
  for (const eps of epsilons) {
    const problem = epsilonProblem(eps, norm, model.bounds, size);
    if (problem !== null) throw new AdvxError('bad-option', `${who}: ${problem}`, { option: 'epsilons' });
  }
}

/** `options.epsilons` as a list (`single`: one number was given), or null (minimization attacks). */
export function epsilonsOf(options: unknown, who: string): { epsilons: number[] | null; single: boolean } {
  if (typeof options !== 'object' || options === null || !('epsilons' in options))
    throw new AdvxError(
      'bad-option',
      `${who}: options must give epsilons (a number, a list, or null; got ${describeValue(options)})`,
      { option: 'epsilons' },
    );
  const { epsilons, onProgress } = options as { epsilons: unknown; onProgress?: unknown };
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new AdvxError(
      'bad-option',
      `${who}: onProgress must be a function (got ${describeValue(onProgress)})`,
      {
        option: 'onProgress',
      },
    );
  if (epsilons === null) return { epsilons: null, single: true };
  if (typeof epsilons === 'number') return { epsilons: [epsilons], single: true };
  if (Array.isArray(epsilons) || epsilons instanceof Float32Array || epsilons instanceof Float64Array)
    return { epsilons: Array.from(epsilons as ArrayLike<number>), single: false };
  throw new AdvxError(
    'bad-option',
    `${who}: epsilons must be a number, a list of numbers, or null (got ${describeValue(epsilons)})`,
    { option: 'epsilons' },
  );
}
