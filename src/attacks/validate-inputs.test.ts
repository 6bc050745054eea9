/** Inputs an attack refuses before it starts: wrong shape, outside the bounds, NaN or infinite values. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { functionModel } from '../models/forward-model.js';
import { validateInputs } from './attack.js';
import { FGSM } from './gradient-descent.js';

before(() => initEngine());

/** A linear 2x2x1 -> 2 classifier: class 1 when the mean pixel is above 0.5. */
const model = functionModel(
  (x: Tensor4D) =>
    tf.tidy(() => {
      const mean = tf.mean(x, [1, 2, 3]);
      return tf.stack([tf.sub(0.5, mean), tf.sub(mean, 0.5)], 1) as Tensor2D;
    }),
  { name: 'linear', inputShape: [2, 2, 1], labels: ['dark', 'light'] },
);

test('NaN or infinite inputs are refused, naming the first bad input, before any attack step', async () => {
  const cases: [number[], RegExp][] = [
    [[0.1, 0.2, 0.3, 0.4, NaN, NaN, NaN, NaN], /inputs: input 1 holds 4 values that are NaN or infinite/],
    [[NaN, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], /inputs: input 0 holds 1 values that are NaN or infinite/],
    [[0.1, 0.2, 0.3, Infinity, 0.5, 0.6, 0.7, 0.8], /inputs: input 0 holds 1 values/],
    [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, -Infinity], /inputs: input 1 holds 1 values/],
  ];
  const before = tf.memory().numTensors;
  for (const [values, pattern] of cases) {
    const x = tf.tensor4d(values, [2, 2, 2, 1]);
    assert.throws(() => validateInputs(model, x), pattern);
    await assert.rejects(new FGSM().run(model, x, [0, 1], { epsilons: 0.1 }), pattern);
    x.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked on the error path');
});

test('all-NaN inputs no longer count as successful attacks; finite ones in bounds still run', async () => {
  const nan = tf.fill([3, 2, 2, 1], NaN) as Tensor4D;
  await assert.rejects(new FGSM().run(model, nan, [0, 0, 0], { epsilons: 0.1 }), /input 0 holds 4 values/);
  nan.dispose();
  const x = tf.tensor4d([0.4, 0.4, 0.4, 0.4, 0.9, 0.9, 0.9, 0.9], [2, 2, 2, 1]);
  const result = await new FGSM().run(model, x, [0, 1], { epsilons: 0.2 });
  assert.deepEqual(result.success, [true, false]);
  tf.dispose([x, result.raw, result.clipped]);
});
