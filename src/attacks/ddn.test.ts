/**
 * DDN on a linear two-class model (closed-form minimal L2 perturbation |z_0 - z_1| / ||w_0 - w_1||), and
 * its seeded fallback: a model whose gradient vanishes gets random directions, reproducible by seed.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { initEngine } from '../engine/backend.js';
import { perturbationNorm } from '../distances/index.js';
import { functionModel } from '../models/forward-model.js';
import { predictLabels } from '../models/model.js';
import { DDN } from './ddn.js';
import { LINEAR_SHAPE, linearFixture, linearInputs } from './linear-test-model.js';

const N = 6;
const inputs = linearInputs(N);

before(async () => {
  await initEngine();
});

test('ddn on a linear two-class model finds the closed-form minimal L2 perturbation within 1%', async () => {
  const fixture = linearFixture(2);
  const x = tf.tensor4d(inputs.flat(), [N, ...LINEAR_SHAPE]);
  const labels = await predictLabels(fixture.model, x);
  const { raw, clipped, success } = await new DDN().run(fixture.model, x, labels, { epsilons: null });
  assert.deepEqual(success, new Array(N).fill(true));
  const norms = perturbationNorm(tf.sub(clipped, x), 'l2').dataSync();
  norms.forEach((norm, n) => {
    const minimal = fixture.minimalNorm(inputs[n], 'l2');
    assert.ok(norm >= minimal * (1 - 1e-4) && norm <= minimal * 1.01, `input ${n}: ${norm} vs ${minimal}`);
  });
  tf.dispose([x, raw, clipped]);
  fixture.dispose();
});

test('ddn: a vanishing gradient gets a seeded random direction (same seed, same result)', async () => {
  // Class 1 wins once a pixel exceeds 0.8; below that (as at every input) the gradient is zero.
  const hinge = functionModel(
    (x: Tensor4D) => {
      const excess = tf.sum(tf.relu(tf.sub(tf.reshape(x, [-1, 9]), 0.8)), 1, true);
      return tf.concat([tf.fill(excess.shape as [number, number], 0.05), tf.mul(excess, 10)], 1) as Tensor2D;
    },
    { name: 'hinge', inputShape: LINEAR_SHAPE, labels: ['a', 'b'] },
  );
  const x = tf.tensor4d(inputs.flat(), [N, ...LINEAR_SHAPE]);
  const labels = new Array(N).fill(0);
  const run = async (seed: number) => {
    const { raw, clipped, success } = await new DDN({ steps: 5, seed }).run(hinge, x, labels, {
      epsilons: null,
    });
    assert.ok(success.some(Boolean), 'random directions found no adversarial');
    const values = Array.from(raw.dataSync());
    tf.dispose([raw, clipped]);
    return values;
  };
  const [a, b, c] = [await run(1), await run(1), await run(2)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  x.dispose();
  assert.throws(() => new DDN({ gamma: 1 }), /ddn: gamma must be in \(0, 1\) \(got 1\)/);
  assert.throws(() => new DDN({ initEpsilon: -1 }), /ddn: initEpsilon must be a finite number > 0/);
});
