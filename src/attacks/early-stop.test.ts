/**
 * PGD's `earlyStop`: an input is frozen at the first iterate the criterion accepts, judged on the
 * logits of the step's own forward pass.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initEngine } from '../engine/backend.js';
import { tf, type Tensor4D } from '../engine/tf.js';
import { loadFashionMnist } from '../data/datasets.js';
import { loadModel } from '../models/load.js';
import { predictLabels, type Model } from '../models/model.js';
import { LinfPGD } from './gradient-descent.js';

const N = 64;
let model: Model;
let x: Tensor4D;
let labels: number[];

before(async () => {
  await initEngine();
  model = await loadModel('fashion-mnist-cnn');
  const data = loadFashionMnist('test', N);
  x = tf.tensor4d(data.images, [N, 28, 28, 1]);
  labels = Array.from(data.labels);
});

test('earlyStop: inputs misclassified from the start stay exactly there; the others stay in the ball and move as plain PGD until accepted', async () => {
  const predicted = await predictLabels(model, x);
  const wrong = labels.map((l, i) => predicted[i] !== l);
  assert.ok(wrong.some(Boolean) && !wrong.every(Boolean), 'the subset has both kinds of input');
  const run = async (earlyStop: boolean) =>
    new LinfPGD({ steps: 10, relStepsize: 0.25, randomStart: false, earlyStop }).run(model, x, labels, {
      epsilons: 0.1,
    });
  const start = tf.memory().numTensors;
  const stopped = await run(true);
  const plain = await run(false);
  const distance = (r: { clipped: Tensor4D }) =>
    tf.tidy(() => Array.from(tf.max(tf.abs(tf.sub(r.clipped, x)), [1, 2, 3]).dataSync()));
  const dStopped = distance(stopped);
  const dPlain = distance(plain);
  wrong.forEach((w, i) => {
    if (w) {
      assert.equal(dStopped[i], 0, `input ${i} was already misclassified: not moved`);
      assert.ok(dPlain[i] > 0, `input ${i} moves without earlyStop`);
      assert.ok(stopped.success[i], `input ${i} stays adversarial`);
    } else {
      assert.ok(dStopped[i] <= 0.1 + 1e-6, `input ${i} stayed within the ball`);
      // One never accepted is never frozen: it follows plain PGD step for step.
      if (!stopped.success[i]) assert.equal(dStopped[i], dPlain[i], `input ${i} follows plain PGD`);
    }
  });
  assert.ok(
    wrong.filter((w, i) => !w && dStopped[i] > 0).length >= N / 2,
    'most correctly classified inputs moved',
  );
  // Early stopping never loses an input the criterion accepted at some iterate; here PGD fools nearly all.
  const rate = (r: { success: boolean[] }) => r.success.filter(Boolean).length / N;
  assert.ok(rate(stopped) >= rate(plain) - 0.05, `success ${rate(stopped)} vs ${rate(plain)}`);
  tf.dispose([stopped.raw, stopped.clipped, plain.raw, plain.clipped]);
  assert.equal(tf.memory().numTensors, start, 'no tensor leaked');
});
