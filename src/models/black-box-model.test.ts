import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor2D, type Tensor4D } from '../engine/tf.js';
import { L2AdditiveGaussianNoise } from '../attacks/additive-noise.js';
import { blackBoxModel, type BatchShape } from './black-box-model.js';
import { functionModel } from './forward-model.js';
import { isDecisionOnly, softmaxRows } from './model-outputs.js';

before(() => initEngine());

/** A white-box reference with a closed form: logits = x W for 2x2x1 inputs and 3 classes. */
const W = [
  [1, -1, 0.5],
  [0, 2, -1],
  [-2, 0.5, 1],
  [1, 1, -3],
];
const reference = functionModel(
  (x) => tf.matMul(tf.reshape(x, [x.shape[0], 4]), tf.tensor2d(W)) as Tensor2D,
  {
    name: 'linear',
    inputShape: [2, 2, 1],
    labels: ['a', 'b', 'c'],
  },
);

/** The reference's logits as plain numbers, as a remote system would compute them. */
function logitsOf(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) out[i * 3 + k] += x[i * 4 + j] * W[j][k];
  return out;
}

const options = { inputShape: [2, 2, 1] as const, numClasses: 3, labels: ['a', 'b', 'c'] };

function batch(n: number, seed = 1): Tensor4D {
  return tf.randomUniform([n, 2, 2, 1], 0, 1, 'float32', seed) as Tensor4D;
}

async function values(t: tf.Tensor): Promise<number[]> {
  const out = Array.from(await t.data());
  t.dispose();
  return out;
}

test('a function of logits is the model it computes; large batches are split under maxBatch, in order', async () => {
  const calls: BatchShape[] = [];
  const model = blackBoxModel(
    async (x, shape) => {
      calls.push(shape);
      return logitsOf(x, shape[0]);
    },
    { ...options, output: 'logits', maxBatch: 3, name: 'remote-linear' },
  );
  assert.equal(model.differentiable, false);
  assert.equal(model.engine, 'function');
  const x = batch(7);
  const start = tf.memory().numTensors;
  const got = await values(await model.logits(x));
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
  const expected = await values(await reference.logits(x));
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${i}: ${v} vs ${expected[i]}`));
  assert.deepEqual(calls, [
    [3, 2, 2, 1],
    [3, 2, 2, 1],
    [1, 2, 2, 1],
  ]);
  x.dispose();
});

test('a function of probabilities (as rows) gives log-probabilities: the same decisions and softmax', async () => {
  const model = blackBoxModel(
    (x, shape) => {
      const p = softmaxRows(logitsOf(x, shape[0]), shape[0], 3);
      return Array.from({ length: shape[0] }, (_, i) => p.subarray(i * 3, i * 3 + 3));
    },
    { ...options, output: 'scores' },
  );
  const x = batch(6, 2);
  const [mine, theirs] = await Promise.all([model.logits(x), reference.logits(x)]);
  const [p, q] = tf.tidy(() => [tf.softmax(mine).dataSync(), tf.softmax(theirs).dataSync()]);
  p.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 1e-5));
  assert.deepEqual(await values(tf.argMax(mine, 1)), await values(tf.argMax(theirs, 1)));
  tf.dispose([x, mine, theirs]);
});

test('a decision-only function: logits whose argmax is its label, flagged for decision-based attacks', async () => {
  const model = blackBoxModel(
    (x, shape) => Array.from({ length: shape[0] }, (_, i) => (x[i * 4] > 0.5 ? 2 : 0)),
    { ...options, output: 'label' },
  );
  assert.equal(isDecisionOnly(model), true);
  const x = tf.tensor4d([0.9, 0, 0, 0, 0.1, 0, 0, 0], [2, 2, 2, 1]);
  const logits = await model.logits(x);
  assert.deepEqual(await values(tf.argMax(logits, 1)), [2, 0]);
  tf.dispose([x, logits]);
  await assert.rejects(model.lossGradient(x, { kind: 'crossentropy', labels: [0, 0], targeted: false }), {
    message: /^model black-box is a black box \(function, answers label\): it has no input gradients/,
  });
});

test('a wrong answer or a failing function: one clear error, and no tensor leaks', async () => {
  const x = batch(4, 3);
  const start = tf.memory().numTensors;
  const short = blackBoxModel(() => [1, 2, 3], { ...options, output: 'logits', name: 'short' });
  await assert.rejects(short.logits(x), {
    message: 'model short: answer for 4 inputs: expected logits [4,3] (rows or flat), got an array of 3',
  });
  const failing = blackBoxModel(
    () => {
      throw new Error('quota exceeded');
    },
    { ...options, output: 'scores' },
  );
  await assert.rejects(failing.logits(x), { message: 'quota exceeded' });
  await assert.rejects(short.logits(tf.zeros([1, 3, 3, 1]) as Tensor4D), {
    message: 'model short: inputs have shape [1,3,3,1], expected [N,2,2,1]',
  });
  assert.equal(tf.memory().numTensors, start + 1, 'only the zeros of the last call remain');
  x.dispose();
});

test('bad options are refused with the option named', () => {
  const f = () => [0];
  assert.throws(
    () => blackBoxModel(f, { ...options, output: 'probabilities' as 'scores' }),
    /output must be/,
  );
  assert.throws(() => blackBoxModel(f, { ...options, numClasses: 0, output: 'label' }), /numClasses must be/);
  assert.throws(() => blackBoxModel(f, { ...options, output: 'label', maxBatch: 0 }), /maxBatch must be/);
  assert.throws(() => blackBoxModel(f, { ...options, output: 'label', bounds: [1, 0] }), /bounds must be/);
  assert.throws(
    () => blackBoxModel(f, { ...options, output: 'label', labels: ['a'] }),
    /1 labels for 3 classes/,
  );
});

test('an attack that needs logits only runs on a black box as on the white-box model', async () => {
  const viaTensors = async (x: Float32Array, shape: BatchShape) => {
    const input = tf.tensor4d(x, [...shape]);
    const logits = await reference.logits(input);
    input.dispose();
    return values(logits);
  };
  const model = blackBoxModel(viaTensors, { ...options, output: 'logits' });
  const x = batch(8, 4);
  const labels = await values(tf.argMax(await reference.logits(x), 1));
  const attack = new L2AdditiveGaussianNoise({ repeats: 4, seed: 7 });
  const [remote, local] = [
    await attack.run(model, x, labels, { epsilons: 0.8 }),
    await attack.run(reference, x, labels, { epsilons: 0.8 }),
  ];
  assert.deepEqual(remote.success, local.success);
  assert.ok(remote.success.some(Boolean), 'some inputs are fooled at this eps');
  assert.deepEqual(await values(remote.clipped), await values(local.clipped));
  tf.dispose([remote.raw, local.raw, x]);
});
