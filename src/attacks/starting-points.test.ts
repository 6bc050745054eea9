/**
 * Starting points of the decision-based attacks: blended uniform noise finds, per input, the smallest
 * adversarial blend on the grid (foolbox's LinearSearchBlendedUniformNoiseAttack), inputs adversarial from
 * the start are flagged and kept, and given starting points are checked (shape, bounds, adversarial).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { Misclassification } from '../criteria/index.js';
import { functionModel } from '../models/forward-model.js';
import { CountingModel, values } from './black-box-testing.js';
import { QueryOracle } from './query-oracle.js';
import { blendedNoiseStart, givenStart } from './starting-points.js';

before(() => initEngine());

/** Class 1 when the mean pixel of a [2,2,1] image exceeds 0.4. */
const model = functionModel(
  (x) =>
    tf.concat(
      [tf.zeros([x.shape[0], 1]), tf.sub(tf.mean(tf.reshape(x, [-1, 4]), 1, true), 0.4)],
      1,
    ) as Tensor2D,
  { name: 'mean', inputShape: [2, 2, 1], labels: ['dark', 'light'] },
);
const mean = (row: number[]) => row.reduce((a, b) => a + b, 0) / row.length;

test('blended noise: the first adversarial blend on the grid, clean inputs kept, queries counted', async () => {
  const counter = new CountingModel(model);
  const queries = [0, 0, 0];
  const oracle = new QueryOracle(counter, new Misclassification([0, 0, 0]), queries, Infinity, 'test');
  const x = tf.tensor4d([0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.6, 0.6, 0.6, 0.6], [3, 2, 2, 1]) as Tensor4D;
  const start = await blendedNoiseStart(oracle, x, new Rng(1), { directions: 100, steps: 50 });
  assert.deepEqual(start.found, [true, true, true]);
  assert.deepEqual(start.clean, [false, false, true]);
  const rows = (start.starts.arraySync() as number[][][][]).map((r) => r.flat(2));
  assert.deepEqual(
    rows[2],
    new Array(4).fill(Math.fround(0.6)),
    'an input adversarial from the start is its own start',
  );
  for (const i of [0, 1]) {
    assert.ok(mean(rows[i]) > 0.4, `start ${i} is not adversarial: mean ${mean(rows[i])}`);
    // the blend before it (1/50 of the way from the input to noise in [0, 1]) was not adversarial, so the
    // mean pixel is at most 1/50 past the boundary
    assert.ok(mean(rows[i]) - 0.4 <= 0.02 + 1e-6, `start ${i}: mean ${mean(rows[i])}, more than a step past`);
  }
  assert.equal(queries[2], 1);
  assert.equal(counter.total, queries[0] + queries[1] + queries[2]);
  tf.dispose([x, start.starts]);
});

test('given starting points: checked with one query each; bad ones refused with one line', async () => {
  const x = tf.fill([2, 2, 2, 1], 0.1) as Tensor4D;
  const queries = [0, 0];
  const oracle = new QueryOracle(model, new Misclassification([0, 0]), queries, Infinity, 'boundary');
  const good = tf.fill([2, 2, 2, 1], 0.9) as Tensor4D;
  const start = await givenStart(oracle, x, good, 'boundary');
  assert.deepEqual(start.found, [true, true]);
  assert.deepEqual(start.clean, [false, false]);
  assert.deepEqual(values(start.starts), values(good));
  assert.deepEqual(queries, [1, 1]);
  const half = tf.tensor4d([0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1], [2, 2, 2, 1]) as Tensor4D;
  await assert.rejects(
    givenStart(oracle, x, half, 'boundary'),
    /boundary: 1 of 2 startingPoints are not adversarial \(inputs 1\)/,
  );
  const wrongShape = tf.fill([1, 2, 2, 1], 0.9) as Tensor4D;
  await assert.rejects(
    givenStart(oracle, x, wrongShape, 'boundary'),
    /startingPoints have shape \[1,2,2,1\] but the inputs \[2,2,2,1\]/,
  );
  const outside = tf.fill([2, 2, 2, 1], 2) as Tensor4D;
  await assert.rejects(
    givenStart(oracle, x, outside, 'boundary'),
    /startingPoints span \[2, 2\], outside the model's bounds \[0, 1\]/,
  );
  tf.dispose([x, good, half, wrongShape, outside, start.starts]);
});
