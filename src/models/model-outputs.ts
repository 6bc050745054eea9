/**
 * What a model answers, and how advx turns each kind of answer into logits. A model behind an API seldom
 * gives logits: it gives class probabilities (`scores`), its K most probable classes (`topk`), or only its
 * decision (`label`). Attacks see logits everywhere, so a black-box model turns its answers into
 * log-probabilities (a `logits` answer is used as it is):
 *
 * - `scores`: log p, floored at LOG_PROBABILITY_FLOOR so that a probability of 0 stays finite. Since
 *   log p_i - log p_j = z_i - z_j, argmax, margins and softmax are those of the network's own logits.
 * - `topk`: log p for the classes given; the rest of the probability mass is shared equally by the other
 *   classes (which keeps each of them at most the K-th probability).
 * - `label`: the log of a one-hot probability: 0 for the decision, LOG_PROBABILITY_FLOOR elsewhere. Only
 *   the decision is meaningful: decision-based attacks ask `isDecisionOnly(model)`.
 *
 * `outputsOfLogits` is the other direction, what a server answers from its model's logits.
 */
import type { Model } from './model.js';

export type ModelOutput = 'logits' | 'scores' | 'topk' | 'label';

export const MODEL_OUTPUTS: readonly ModelOutput[] = ['logits', 'scores', 'topk', 'label'];

/** log p of a probability too small for float32 (e^-100 ~ 4e-44). */
export const LOG_PROBABILITY_FLOOR = -100;

export interface ClassProbability {
  index: number;
  p: number;
}

/** One batch of answers of a given kind: `values` is `[N,K]` row-major. */
export type OutputBatch =
  | { kind: 'logits' | 'scores'; values: ArrayLike<number> }
  | { kind: 'label'; labels: readonly number[] }
  | { kind: 'topk'; top: readonly (readonly ClassProbability[])[] };

/** How much of the model each kind reveals: a server may give less than its model does, never more. */
const DETAIL: Record<ModelOutput, number> = { logits: 3, scores: 3, topk: 1, label: 0 };

/** What `model` answers: `outputs` of a black-box model, logits for every other model. */
export function outputsOf(model: Model): ModelOutput {
  return model.outputs ?? 'logits';
}

/** True for a model that only gives its decision (the logits it returns carry nothing else). */
export function isDecisionOnly(model: Model): boolean {
  return outputsOf(model) === 'label';
}

/** True when answers of kind `wanted` can be made from a model that answers `available`. */
export function canAnswer(available: ModelOutput, wanted: ModelOutput): boolean {
  return DETAIL[wanted] <= DETAIL[available];
}

function logProbability(p: number): number {
  return p > 0 ? Math.max(Math.log(p), LOG_PROBABILITY_FLOOR) : LOG_PROBABILITY_FLOOR;
}

/** Logits `[N,K]` (row-major) that stand for a batch of answers (see the module comment). */
export function logitsOfOutputs(batch: OutputBatch, n: number, numClasses: number): Float32Array {
  const out = new Float32Array(n * numClasses);
  switch (batch.kind) {
    case 'logits':
      out.set(batch.values);
      break;
    case 'scores':
      for (let i = 0; i < out.length; i++) out[i] = logProbability(batch.values[i]);
      break;
    case 'label':
      out.fill(LOG_PROBABILITY_FLOOR);
      batch.labels.forEach((label, row) => (out[row * numClasses + label] = 0));
      break;
    case 'topk':
      batch.top.forEach((classes, row) => {
        const known = classes.reduce((sum, c) => sum + c.p, 0);
        const others = numClasses - classes.length;
        const share = others > 0 ? Math.max(0, 1 - known) / others : 0;
        out.fill(logProbability(share), row * numClasses, (row + 1) * numClasses);
        for (const c of classes) out[row * numClasses + c.index] = logProbability(c.p);
      });
      break;
  }
  return out;
}

/** Softmax of each row of `[N,K]` logits, in double precision. */
export function softmaxRows(logits: ArrayLike<number>, n: number, numClasses: number): Float64Array {
  const out = new Float64Array(n * numClasses);
  for (let row = 0; row < n; row++) {
    const start = row * numClasses;
    let max = -Infinity;
    for (let j = 0; j < numClasses; j++) max = Math.max(max, logits[start + j]);
    let sum = 0;
    for (let j = 0; j < numClasses; j++) sum += out[start + j] = Math.exp(logits[start + j] - max);
    for (let j = 0; j < numClasses; j++) out[start + j] /= sum;
  }
  return out;
}

/** Index of the largest value of each row (the first one on a tie, as tf.argMax). */
export function argmaxRows(values: ArrayLike<number>, n: number, numClasses: number): number[] {
  return Array.from({ length: n }, (_, row) => {
    let best = 0;
    for (let j = 1; j < numClasses; j++)
      if (values[row * numClasses + j] > values[row * numClasses + best]) best = j;
    return best;
  });
}

/** The answers a model of kind `kind` gives for these logits (`k` classes for `topk`). */
export function outputsOfLogits(
  logits: ArrayLike<number>,
  n: number,
  numClasses: number,
  kind: ModelOutput,
  k = 1,
): OutputBatch {
  switch (kind) {
    case 'logits':
      return { kind, values: logits };
    case 'scores':
      return { kind, values: softmaxRows(logits, n, numClasses) };
    case 'label':
      return { kind, labels: argmaxRows(logits, n, numClasses) };
    case 'topk': {
      const p = softmaxRows(logits, n, numClasses);
      const top = Array.from({ length: n }, (_, row) => {
        const order = Array.from({ length: numClasses }, (_, j) => j);
        order.sort((a, b) => p[row * numClasses + b] - p[row * numClasses + a] || a - b);
        return order
          .slice(0, Math.min(k, numClasses))
          .map((index) => ({ index, p: p[row * numClasses + index] }));
      });
      return { kind, top };
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as Float32Array).length}`;
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}

function isNumberList(value: unknown): value is ArrayLike<number> {
  return (
    (ArrayBuffer.isView(value) && !(value instanceof DataView)) ||
    (Array.isArray(value) && value.every((v) => typeof v === 'number'))
  );
}

/** An `[N,K]` matrix given flat or as rows, checked: finite numbers (and >= 0 for scores). */
function readMatrix(
  value: unknown,
  kind: 'logits' | 'scores',
  n: number,
  numClasses: number,
  source: string,
): Float64Array {
  const expected = `${kind} [${n},${numClasses}] (rows or flat)`;
  let flat: Float64Array;
  if (isNumberList(value) && value.length === n * numClasses) {
    flat = Float64Array.from(value);
  } else if (Array.isArray(value) && value.length === n && value.every((row) => isNumberList(row))) {
    const bad = (value as ArrayLike<number>[]).findIndex((row) => row.length !== numClasses);
    if (bad >= 0)
      throw new Error(`${source}: expected ${expected}, got row ${bad} of ${value[bad].length} values`);
    flat = new Float64Array(n * numClasses);
    (value as ArrayLike<number>[]).forEach((row, i) => flat.set(Array.from(row), i * numClasses));
  } else {
    throw new Error(`${source}: expected ${expected}, got ${describe(value)}`);
  }
  const bad = flat.findIndex((v) => !Number.isFinite(v) || (kind === 'scores' && v < 0));
  if (bad >= 0) {
    const what = kind === 'scores' ? 'a finite probability >= 0' : 'a finite number';
    throw new Error(
      `${source}: ${kind} value ${flat[bad]} at [${Math.floor(bad / numClasses)},${bad % numClasses}] is not ${what}`,
    );
  }
  return flat;
}

function isClass(value: unknown, numClasses: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < numClasses;
}

function readLabels(value: unknown, n: number, numClasses: number, source: string): number[] {
  if (!isNumberList(value) || value.length !== n)
    throw new Error(`${source}: expected ${n} labels, got ${describe(value)}`);
  const labels = Array.from(value);
  const bad = labels.find((label) => !isClass(label, numClasses));
  if (bad !== undefined)
    throw new Error(`${source}: label ${bad} is not a class index in [0, ${numClasses - 1}]`);
  return labels;
}

function readTopK(value: unknown, n: number, numClasses: number, source: string): ClassProbability[][] {
  if (!Array.isArray(value) || value.length !== n || !value.every(Array.isArray))
    throw new Error(`${source}: expected ${n} lists of {index, p}, got ${describe(value)}`);
  return (value as unknown[][]).map((row, i) => {
    if (row.length < 1 || row.length > numClasses)
      throw new Error(`${source}: top-k list ${i} has ${row.length} entries (1 to ${numClasses} expected)`);
    const seen = new Set<number>();
    return row.map((entry) => {
      const { index, p } = (entry ?? {}) as { index?: unknown; p?: unknown };
      if (!isClass(index, numClasses) || seen.has(index))
        throw new Error(
          `${source}: top-k list ${i}: index ${String(index)} is not a new class index in [0, ${numClasses - 1}]`,
        );
      if (typeof p !== 'number' || !(p >= 0 && p <= 1))
        throw new Error(`${source}: top-k list ${i}: p ${String(p)} is not a probability in [0, 1]`);
      seen.add(index);
      return { index, p };
    });
  });
}

/**
 * Checks an answer (from a user's function or a service's JSON) for a batch of `n` and reads it as a batch
 * of `kind`; a wrong answer throws one line that starts with `source`.
 */
export function readOutputs(
  value: unknown,
  kind: ModelOutput,
  n: number,
  numClasses: number,
  source: string,
): OutputBatch {
  switch (kind) {
    case 'logits':
    case 'scores':
      return { kind, values: readMatrix(value, kind, n, numClasses, source) };
    case 'label':
      return { kind, labels: readLabels(value, n, numClasses, source) };
    case 'topk':
      return { kind, top: readTopK(value, n, numClasses, source) };
  }
}
