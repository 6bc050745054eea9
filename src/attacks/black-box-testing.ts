/**
 * Test helpers for the score- and decision-based attacks (used by their tests, not part of the API): a
 * model that counts every image it is asked about and refuses gradients, the Fashion-MNIST test images the
 * embedded CNN classifies correctly, and the checks every black-box attack's result must pass.
 */
import assert from 'node:assert/strict';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { perturbationNorm, type Norm } from '../distances/index.js';
import type { Loss } from '../models/loss.js';
import { predictLabels, type LossGradient, type Model } from '../models/model.js';
import type { AttackResult } from './attack.js';
import { DelegatingModel } from '../models/delegating-model.js';

/** A model that counts the images it is asked about (per call) and refuses to give gradients. */
export class CountingModel extends DelegatingModel {
  /** Batch size of every logits call, in order. */
  readonly calls: number[] = [];

  /** What the model answers: the inner model's, or `outputs` to pose as another kind of model. */
  constructor(
    inner: Model,
    private readonly posedOutputs?: Model['outputs'],
  ) {
    super(inner);
  }

  override get differentiable() {
    return false;
  }
  override get outputs() {
    return this.posedOutputs ?? this.inner.outputs;
  }

  /** Images asked about so far. */
  get total(): number {
    return this.calls.reduce((a, b) => a + b, 0);
  }

  override logits(x: Tensor4D): Promise<Tensor2D> {
    this.calls.push(x.shape[0]);
    return this.inner.logits(x);
  }

  override lossGradient(_x: Tensor4D, _loss: Loss): Promise<LossGradient> {
    throw new Error('a black-box attack asked for gradients');
  }
}

export interface Fixture {
  x: Tensor4D;
  labels: number[];
}

/** The first `n` of the first `pool` Fashion-MNIST test images that `model` classifies correctly. */
export async function correctlyClassified(model: Model, n: number, pool = 100): Promise<Fixture> {
  const data = loadFashionMnist('test', pool);
  const all = tf.tensor4d(data.images, [pool, 28, 28, 1]);
  try {
    const predicted = await predictLabels(model, all);
    const keep = predicted.flatMap((p, i) => (p === data.labels[i] ? [i] : [])).slice(0, n);
    assert.equal(keep.length, n, `only ${keep.length} of ${pool} test images are classified correctly`);
    return {
      x: tf.tidy(() => tf.gather(all, keep)) as Tensor4D,
      labels: keep.map((i) => data.labels[i]),
    };
  } finally {
    all.dispose();
  }
}

/** Per-input norms of `a - b`. */
export function norms(a: Tensor4D, b: Tensor4D, norm: Norm): number[] {
  const values = tf.tidy(() => perturbationNorm(tf.sub(a, b), norm));
  const out = Array.from(values.dataSync());
  values.dispose();
  return out;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function count(flags: readonly boolean[]): number {
  return flags.filter(Boolean).length;
}

/**
 * What every black-box result must satisfy: images in bounds and within eps (when given) of the inputs,
 * `success` equal to the model's verdict on them (misclassification of `labels`), queries counted per
 * input (summing to `seen`, the images a counting model saw for the attack, when given) and within
 * `maxQueries`.
 */
export async function checkResult(
  result: AttackResult,
  x: Tensor4D,
  labels: readonly number[],
  model: Model,
  options: { norm: Norm; eps: number | null; maxQueries: number; seen?: number },
): Promise<void> {
  const [lo, hi] = model.bounds;
  const [min, max] = tf.tidy(() => [
    tf.min(result.clipped).dataSync()[0],
    tf.max(result.clipped).dataSync()[0],
  ]);
  assert.ok(min >= lo && max <= hi, `out of bounds: [${min}, ${max}]`);
  if (options.eps !== null) {
    const eps = options.eps;
    for (const v of norms(result.clipped, x, options.norm))
      assert.ok(v <= eps * (1 + 1e-5) + 1e-6, `${options.norm} norm ${v} > eps ${eps}`);
  }
  const predicted = await predictLabels(model, result.clipped);
  assert.deepEqual(
    result.success,
    predicted.map((p, i) => p !== labels[i]),
    'success disagrees with re-running the model',
  );
  assert.ok(result.queries !== undefined, 'a black-box result carries its queries');
  const queries = result.queries;
  assert.equal(queries.length, x.shape[0]);
  if (options.seen !== undefined)
    assert.equal(
      queries.reduce((a, b) => a + b, 0),
      options.seen,
      'the queries counted are the images the model saw',
    );
  for (const q of queries)
    assert.ok(Number.isInteger(q) && q <= options.maxQueries, `${q} queries > maxQueries`);
}

export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

export function disposeResult(result: AttackResult): void {
  tf.dispose([result.raw, result.clipped]);
}
