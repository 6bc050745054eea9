/**
 * Gradient estimates from scores on a linear model, whose loss gradient is known: the NES (Gaussian) and
 * SPSA (Rademacher) estimates point along it and cost exactly two queries per pair, also when the probes
 * are sent in several chunks.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { Misclassification } from '../criteria/index.js';
import { functionModel } from '../models/forward-model.js';
import { CountingModel } from './black-box-testing.js';
import { QueryOracle } from './query-oracle.js';
import { estimateGradient, goalScoreLoss } from './score-gradient.js';

before(() => initEngine());

/** logits [w.x, 0] for images [side, side, 1]: the untargeted margin loss for label 0 is -w.x. */
function linear(side: number) {
  const d = side * side;
  const w = Array.from({ length: d }, (_, i) => Math.sin(1 + 2 * i));
  const model = functionModel(
    (x) =>
      tf.concat(
        [tf.matMul(tf.reshape(x, [-1, d]), tf.tensor2d(w, [d, 1])), tf.zeros([x.shape[0], 1])],
        1,
      ) as Tensor2D,
    { name: 'linear', inputShape: [side, side, 1], labels: ['a', 'b'] },
  );
  return { model, w };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

for (const distribution of ['gaussian', 'rademacher'] as const) {
  test(`${distribution} probes estimate the gradient of a linear loss; 2 queries per pair`, async () => {
    const { model, w } = linear(4);
    const counter = new CountingModel(model);
    const queries = [0, 0, 0];
    const oracle = new QueryOracle(counter, new Misclassification([0, 0, 0]), queries, Infinity, 'test');
    const x = tf.fill([2, 4, 4, 1], 0.5) as Tensor4D;
    const loss = goalScoreLoss({ labels: [0, 0, 0], targeted: false }, 'margin');
    const { gradient, meanLoss } = await estimateGradient(
      oracle,
      x,
      [2, 0],
      loss,
      { pairs: 400, scale: 0.01, distribution },
      new Rng(1),
    );
    assert.deepEqual(queries, [800, 0, 800]);
    const expected = w.map((v) => -v);
    const rows = gradient.arraySync() as number[][][][];
    for (const row of rows) {
      const flat = row.flat(2);
      assert.ok(cosine(flat, expected) > 0.95, `cosine ${cosine(flat, expected)}`);
      // and its size: for a linear loss each pair's difference is exact, the mean is unbiased
      const ratio = Math.hypot(...flat) / Math.hypot(...expected);
      assert.ok(ratio > 0.8 && ratio < 1.3, `norm ratio ${ratio}`);
    }
    const atCentre = -0.5 * w.reduce((a, b) => a + b, 0);
    meanLoss.forEach((v) => assert.ok(Math.abs(v - atCentre) < 1e-4, `mean loss ${v} vs ${atCentre}`));
    tf.dispose([x, gradient]);
  });
}

test('probes sent in chunks (large images): exact query count, an estimate along the gradient', async () => {
  const { model, w } = linear(64); // 4096 values: 1024 images per chunk, 3 rows -> 170 pairs per chunk
  const counter = new CountingModel(model);
  const queries = [0, 0, 0];
  const oracle = new QueryOracle(counter, new Misclassification([0, 0, 0]), queries, 1000, 'test');
  const x = tf.fill([3, 64, 64, 1], 0.5) as Tensor4D;
  const loss = goalScoreLoss({ labels: [0, 0, 0], targeted: false }, 'margin');
  const start = tf.memory().numTensors;
  const { gradient } = await estimateGradient(
    oracle,
    x,
    [0, 1, 2],
    loss,
    { pairs: 300, scale: 0.01, distribution: 'rademacher' },
    new Rng(2),
  );
  assert.deepEqual(queries, [600, 600, 600]);
  assert.deepEqual(counter.calls, [2 * 3 * 170, 2 * 3 * 130], 'two chunks');
  const flat = (gradient.arraySync() as number[][][][])[0].flat(2);
  // 300 random +-1 directions in 4096 dimensions: the expected cosine is about sqrt(300 / 4396) = 0.26
  assert.ok(
    cosine(
      flat,
      w.map((v) => -v),
    ) > 0.15,
    `cosine ${cosine(flat, w)}`,
  );
  gradient.dispose();
  assert.equal(tf.memory().numTensors, start, 'tensors leaked');
  x.dispose();
});
