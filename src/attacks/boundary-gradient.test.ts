/**
 * HopSkipJump's boundary normal estimate on a linear decision boundary: it points across the boundary
 * towards the adversarial side, has unit L2 norm per input, and costs each input its own number of probes.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { Rng } from '../engine/random.js';
import { Misclassification } from '../criteria/index.js';
import { functionModel } from '../models/forward-model.js';
import { estimateBoundaryGradient } from './boundary-gradient.js';
import { QueryOracle } from './query-oracle.js';

before(() => initEngine());

const D = 16;
const w = Array.from({ length: D }, (_, i) => Math.cos(2 + 3 * i));
/** Class 1 (adversarial for label 0) where w.(x - 0.5) > 0: the boundary passes through x = 0.5. */
const model = functionModel(
  (x) =>
    tf.concat(
      [tf.zeros([x.shape[0], 1]), tf.matMul(tf.reshape(tf.sub(x, 0.5), [-1, D]), tf.tensor2d(w, [D, 1]))],
      1,
    ) as Tensor2D,
  { name: 'half-space', inputShape: [4, 4, 1], labels: ['a', 'b'] },
);

for (const norm of ['l2', 'linf'] as const) {
  test(`${norm}: the estimate at a boundary point is the boundary's normal, unit length, per-input budgets`, async () => {
    const queries = [0, 0];
    const oracle = new QueryOracle(model, new Misclassification([0, 0]), queries, Infinity, 'test');
    const x = tf.fill([2, 4, 4, 1], 0.5) as Tensor4D;
    const start = tf.memory().numTensors;
    const gradient = await estimateBoundaryGradient(
      oracle,
      x,
      [0, 1],
      [0.01, 0.01],
      [2000, 30],
      norm,
      new Rng(3),
    );
    assert.deepEqual(queries, [2000, 30]);
    const rows = (gradient.arraySync() as number[][][][]).map((r) => r.flat(2));
    const unit = Math.hypot(...w);
    rows.forEach((row) => assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-4, 'not unit length'));
    const cos = rows.map((row) => row.reduce((s, v, i) => s + v * w[i], 0) / unit);
    assert.ok(cos[0] > 0.9, `cosine with 2000 probes ${cos[0]}`);
    assert.ok(cos[1] > 0, `cosine with 30 probes ${cos[1]}`);
    gradient.dispose();
    assert.equal(tf.memory().numTensors, start, 'tensors leaked');
    x.dispose();
  });
}
